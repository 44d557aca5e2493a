// The robust global fit: a known transform plus injected outliers is recovered, check points
// are held out and never fitted, and the automatic choice does not overfit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "mmreg/error.h"
#include "mmreg/global_fit.h"

using namespace mmreg;

namespace {

struct Synthetic {
  std::vector<TiePoint> points;
  std::vector<bool> outlier;
};

template <class F>
Synthetic make(F truth, int n, double noise, double outlierShare, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 2000), off(-80, 80), bern(0, 1);
  std::normal_distribution<double> g(0, noise);
  Synthetic s;
  for (int i = 0; i < n; ++i) {
    const Point2 sen{u(rng), u(rng)};
    Point2 ref = truth(sen);
    const bool bad = bern(rng) < outlierShare;
    if (bad) ref = {ref.x + off(rng) + 20, ref.y + off(rng) - 20};
    else ref = {ref.x + g(rng), ref.y + g(rng)};
    s.points.push_back({ref, sen, 1.0, i % 7});
    s.outlier.push_back(bad);
  }
  return s;
}

Point2 affineTruth(Point2 p) { return {1.02 * p.x - 0.05 * p.y + 31.5, 0.04 * p.x + 0.99 * p.y - 17.25}; }

double maxError(const Transform2D& m, Point2 (*truth)(Point2)) {
  double worst = 0;
  for (double y = 0; y <= 2000; y += 250)
    for (double x = 0; x <= 2000; x += 250) {
      const Point2 a = m.apply({x, y}), b = truth({x, y});
      worst = std::max(worst, std::hypot(a.x - b.x, a.y - b.y));
    }
  return worst;
}

}  // namespace

TEST(GlobalFit, RecoversAffineDespiteFortyPercentOutliers) {
  const auto s = make(affineTruth, 300, 0.5, 0.4, 3);
  FitOptions o;
  o.model = ModelType::Affine;
  const auto r = fitGlobalModel(s.points, o);
  EXPECT_LT(maxError(*r.forward, affineTruth), 0.5);
  int wrongInliers = 0;
  for (size_t i = 0; i < s.points.size(); ++i) wrongInliers += r.inlier[i] && s.outlier[i];
  EXPECT_LE(wrongInliers, 3);
  EXPECT_NEAR(r.rmseFit, 0.5 * std::sqrt(2.0), 0.2);
  // The inverse undoes the forward model.
  const Point2 p{700, 900}, q = r.inverse->apply(r.forward->apply(p));
  EXPECT_NEAR(q.x, p.x, 0.05);
  EXPECT_NEAR(q.y, p.y, 0.05);
}

TEST(GlobalFit, EveryModelTypeSurvivesOutliers) {
  const auto s = make(affineTruth, 400, 0.3, 0.3, 5);
  for (auto t : {ModelType::Translation, ModelType::Similarity, ModelType::Affine, ModelType::Projective, ModelType::Poly2,
                 ModelType::Poly3, ModelType::Tps}) {
    FitOptions o;
    o.model = t;
    o.inlierThreshold = t == ModelType::Translation || t == ModelType::Similarity ? 200 : 3;  // they cannot fit the shear
    const auto r = fitGlobalModel(s.points, o);
    EXPECT_EQ(r.forward->type(), t);
    if (t != ModelType::Translation && t != ModelType::Similarity) EXPECT_LT(maxError(*r.forward, affineTruth), 1.5) << modelName(t);
  }
}

TEST(GlobalFit, CheckPointsAreHeldOutAndNeverFitted) {
  auto s = make(affineTruth, 200, 0.4, 0.0, 7);
  FitOptions o;
  o.model = ModelType::Affine;
  o.checkShare = 0.25;
  const auto r = fitGlobalModel(s.points, o);
  EXPECT_NEAR(r.checkCount, 0.25 * r.inlierCount, 1.0);
  // Moving a check point must not move the model: it was not fitted.
  size_t k = 0;
  while (!r.check[k]) ++k;
  s.points[k].ref.x += 1.0;  // still an inlier under the 3 px threshold
  const auto r2 = fitGlobalModel(s.points, o);
  ASSERT_TRUE(r2.check[k]);  // the draw is seeded, so the same points are held out
  const auto a = r.forward->parameters(), b = r2.forward->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_DOUBLE_EQ(a[i], b[i]);
  EXPECT_GT(r2.rmseCheck, r.rmseCheck);
}

TEST(GlobalFit, AutomaticChoiceDoesNotOverfit) {
  FitOptions o;
  o.model = ModelType::Auto;
  const auto affine = fitGlobalModel(make(affineTruth, 300, 0.5, 0.1, 11).points, o);
  EXPECT_EQ(affine.forward->type(), ModelType::Affine);
  EXPECT_FALSE(affine.candidates.empty());
  const auto shift = fitGlobalModel(make([](Point2 p) { return Point2{p.x + 4, p.y - 9}; }, 300, 0.5, 0.1, 12).points, o);
  EXPECT_EQ(shift.forward->type(), ModelType::Translation);
  const auto bent = fitGlobalModel(
      make([](Point2 p) { return Point2{p.x + 3e-6 * p.x * p.x + 2e-6 * p.x * p.y, p.y + 4e-6 * p.y * p.y}; }, 400, 0.3, 0.1, 13).points, o);
  EXPECT_EQ(bent.forward->type(), ModelType::Poly2);
}

// The verdict refuses a model whose local scale strays beyond its bounds; the automatic choice
// then must not pick such a model over a plausible simpler one (a poly3 fitted to one part of
// an overlap bends beyond its points). Where no model is plausible, the choice is unchanged.
TEST(GlobalFit, AutomaticChoiceSkipsImplausibleModels) {
  const auto bent =
      make([](Point2 p) { return Point2{p.x + 3e-6 * p.x * p.x + 2e-6 * p.x * p.y, p.y + 4e-6 * p.y * p.y}; }, 400, 0.3, 0.1, 13).points;
  FitOptions o;
  o.model = ModelType::Auto;
  // Local x scale at the far corner: the bent truth's is 1.016, an affine fit's about 1.01.
  o.plausible = [](const Transform2D& forward, const Transform2D&) {
    const Point2 a = forward.apply({2000, 2000}), b = forward.apply({2001, 2000});
    return std::abs(b.x - a.x - 1) < 0.012;
  };
  const auto r = fitGlobalModel(bent, o);
  EXPECT_NE(r.forward->type(), ModelType::Poly2);
  EXPECT_NE(r.forward->type(), ModelType::Poly3);
  EXPECT_NE(r.forward->type(), ModelType::Translation);  // the best plausible one, not the simplest
  bool poly2Refused = false;
  for (const auto& c : r.candidates) poly2Refused |= c.type == ModelType::Poly2 && !c.plausible;
  EXPECT_TRUE(poly2Refused);
  o.plausible = [](const Transform2D&, const Transform2D&) { return false; };
  const auto none = fitGlobalModel(bent, o);
  EXPECT_EQ(none.forward->type(), ModelType::Poly2);
  for (const auto& c : none.candidates) EXPECT_FALSE(c.plausible);
}

// Tie points from a start rotated by 160 degrees, all in one corner of a large overlap: every
// model richer than a translation predicts more than the threshold's error far from them, and a
// translation contradicts the start. The choice then is the plausible model predicted to stray
// least (the verdict weighs that error), not a translation that fits none of the points.
TEST(GlobalFit, AutomaticChoiceFallsBackToTheLeastStrayingPlausibleModel) {
  const double angle = 160 * M_PI / 180, scale = 0.9;
  const auto rotated = [&](Point2 p) {
    return Point2{scale * (std::cos(angle) * p.x - std::sin(angle) * p.y) + 1900,
                  scale * (std::sin(angle) * p.x + std::cos(angle) * p.y) + 1700};
  };
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> u(100, 250);
  std::normal_distribution<double> g(0, 1.0);
  std::vector<TiePoint> points;
  for (int i = 0; i < 24; ++i) {
    const Point2 sen{u(rng), u(rng)}, ref = rotated(sen);
    points.push_back({{ref.x + g(rng), ref.y + g(rng)}, sen, 1.0, i % 4});
  }
  FitOptions o;
  o.model = ModelType::Auto;
  o.extent = {0, 0, 2000, 2000};
  o.plausible = [&](const Transform2D& forward, const Transform2D&) {
    const Point2 a = forward.apply({0, 0}), b = forward.apply({1, 0});
    const double turn = std::atan2(b.y - a.y, b.x - a.x) - angle;
    return std::abs(std::remainder(turn, 2 * M_PI)) < 20 * M_PI / 180;
  };
  const auto r = fitGlobalModel(points, o);
  EXPECT_EQ(r.forward->type(), ModelType::Similarity);
  const Point2 c = r.forward->apply({175, 175}), t = rotated({175, 175});
  EXPECT_LT(std::hypot(c.x - t.x, c.y - t.y), 1.5);
  ASSERT_FALSE(r.candidates.empty());
  EXPECT_EQ(r.candidates.front().type, ModelType::Translation);
  EXPECT_FALSE(r.candidates.front().plausible);
}

TEST(GlobalFit, TooFewInliersNamesTheCounts) {
  const auto s = make(affineTruth, 10, 0.3, 0.7, 17);
  FitOptions o;
  o.model = ModelType::Poly3;
  try {
    fitGlobalModel(s.points, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("too few tie points for the poly3 model"), std::string::npos) << m;
    EXPECT_NE(m.find("10 candidate matches"), std::string::npos) << m;
    EXPECT_NE(m.find("21 needed"), std::string::npos) << m;
  }
}

// Six tie points agree on a similarity and six are scattered: too few for an affine fit (7
// inliers), enough for a similarity, which the intermediate passes fall back to. With four
// agreeing among ten, nothing fits, and the error is the richest model's the count allowed.
TEST(GlobalFit, RichestSupportedFallsBackToASimplerModel) {
  const auto similarity = [](Point2 p) { return Point2{0.8 * p.x - 0.6 * p.y + 40, 0.6 * p.x + 0.8 * p.y - 25}; };
  std::vector<TiePoint> points;
  for (int i = 0; i < 6; ++i) {
    const Point2 sen{100.0 + 150 * (i % 3), 100.0 + 200 * (i / 3)};
    points.push_back({similarity(sen), sen, 1.0, i});
  }
  for (int i = 0; i < 6; ++i) {
    const Point2 sen{120.0 + 90 * i, 500.0 - 70 * i};
    const Point2 ref = similarity(sen);
    points.push_back({{ref.x + 60 * ((i % 2) ? 1 : -1) + 13 * i, ref.y - 45 + 31 * i}, sen, 1.0, 6 + i});
  }
  FitOptions o;
  o.checkShare = 0;
  EXPECT_THROW(
      {
        o.model = ModelType::Affine;
        fitGlobalModel(points, o);
      },
      Error);
  const auto fit = fitRichestSupported(points, o);
  EXPECT_EQ(fit.forward->type(), ModelType::Similarity);
  EXPECT_EQ(fit.inlierCount, 6);
  const Point2 q = fit.forward->apply({300, 300}), t = similarity({300, 300});
  EXPECT_LT(std::hypot(q.x - t.x, q.y - t.y), 0.01);

  points.erase(points.begin() + 4, points.begin() + 6);  // four agree: no model has support
  try {
    fitRichestSupported(points, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too few tie points for the similarity model: 4 inliers"), std::string::npos) << e.what();
  }
}
