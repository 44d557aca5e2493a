// Models: each fits its own kind of transform exactly, and the parameters mean what they say.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "mmreg/error.h"
#include "mmreg/model.h"

using namespace mmreg;

namespace {

std::vector<Point2> grid(int n, double span) {
  std::vector<Point2> p;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) p.push_back({100 + span * i / (n - 1), 200 + span * j / (n - 1)});
  return p;
}

template <class F>
void expectExactFit(ModelType t, F truth, double tol) {
  const auto from = grid(8, 900);
  std::vector<Point2> to;
  for (auto& p : from) to.push_back(truth(p));
  const auto m = fitTransform(t, from, to);
  EXPECT_EQ(m->type(), t);
  for (auto& p : grid(5, 950)) {
    const Point2 a = m->apply(p), b = truth(p);
    EXPECT_NEAR(a.x, b.x, tol) << modelName(t);
    EXPECT_NEAR(a.y, b.y, tol) << modelName(t);
  }
}

}  // namespace

TEST(Model, EachTypeReproducesItsOwnTransform) {
  expectExactFit(ModelType::Translation, [](Point2 p) { return Point2{p.x + 12.5, p.y - 7.25}; }, 1e-9);
  const double c = std::cos(0.05) * 1.03, s = std::sin(0.05) * 1.03;
  expectExactFit(ModelType::Similarity, [&](Point2 p) { return Point2{c * p.x - s * p.y + 40, s * p.x + c * p.y - 30}; }, 1e-7);
  expectExactFit(ModelType::Affine, [](Point2 p) { return Point2{1.01 * p.x + 0.02 * p.y + 5, -0.03 * p.x + 0.98 * p.y + 9}; }, 1e-7);
  expectExactFit(ModelType::Projective, [](Point2 p) {
    const double w = 1 + 1e-5 * p.x - 2e-5 * p.y;
    return Point2{(1.01 * p.x + 0.02 * p.y + 5) / w, (-0.03 * p.x + 0.98 * p.y + 9) / w};
  }, 1e-5);
  expectExactFit(ModelType::Poly2, [](Point2 p) { return Point2{p.x + 1e-4 * p.x * p.y + 3, p.y - 2e-4 * p.x * p.x}; }, 1e-6);
  expectExactFit(ModelType::Poly3, [](Point2 p) { return Point2{p.x + 1e-7 * p.x * p.x * p.y, p.y + 3e-7 * p.y * p.y * p.y}; }, 1e-6);
}

TEST(Model, TpsInterpolatesItsControlPoints) {
  const auto from = grid(6, 500);
  std::vector<Point2> to;
  for (auto& p : from) to.push_back({p.x + 3 * std::sin(p.y / 100), p.y + 2 * std::cos(p.x / 80)});
  const auto m = fitTransform(ModelType::Tps, from, to);
  for (size_t i = 0; i < from.size(); ++i) {
    EXPECT_NEAR(m->apply(from[i]).x, to[i].x, 1e-4);
    EXPECT_NEAR(m->apply(from[i]).y, to[i].y, 1e-4);
  }
  EXPECT_EQ(m->controlPoints().size(), from.size());
}

TEST(Model, AffineMatrixIsTheMapping) {
  const std::vector<Point2> from{{0, 0}, {10, 0}, {0, 10}, {10, 10}};
  const std::vector<Point2> to{{5, 7}, {25, 7}, {5, 37}, {25, 37}};
  const auto m = fitTransform(ModelType::Affine, from, to);
  ASSERT_TRUE(m->isAffine());
  const auto a = m->affineMatrix();
  EXPECT_NEAR(a[0], 2, 1e-12);
  EXPECT_NEAR(a[4], 3, 1e-12);
  EXPECT_NEAR(a[2], 5, 1e-9);
  EXPECT_NEAR(a[5], 7, 1e-9);
}

TEST(Model, TooFewOrDegeneratePointsAreClearErrors) {
  const std::vector<Point2> two{{0, 0}, {1, 1}};
  try {
    fitTransform(ModelType::Affine, two, two);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 given, at least 3"), std::string::npos) << e.what();
  }
  const std::vector<Point2> line{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}};
  EXPECT_THROW(fitTransform(ModelType::Poly2, line, line), Error);
}

TEST(Model, NamesRoundTrip) {
  for (auto t : {ModelType::Auto, ModelType::Translation, ModelType::Similarity, ModelType::Affine, ModelType::Projective,
                 ModelType::Poly2, ModelType::Poly3, ModelType::Tps}) {
    ModelType back;
    ASSERT_TRUE(parseModelType(modelName(t), &back));
    EXPECT_EQ(back, t);
  }
  ModelType x;
  EXPECT_FALSE(parseModelType("bogus", &x));
}
