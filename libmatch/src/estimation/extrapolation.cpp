#include "estimation/extrapolation.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace mmreg {
namespace {

// Terms of the least-squares design of each coordinate (per axis): how the model's prediction
// error grows away from its points. Similarity shares the affine's (a slight overestimate);
// projective the quadratic's; TPS, which interpolates, the affine's.
int basisSize(ModelType t) {
  switch (t) {
    case ModelType::Translation: return 1;
    case ModelType::Projective:
    case ModelType::Poly2: return 6;
    case ModelType::Poly3: return 10;
    default: return 3;
  }
}

Eigen::VectorXd basis(Point2 p, int n) {
  Eigen::VectorXd v(n);
  const double x = p.x, y = p.y;
  const double all[10] = {1, x, y, x * x, x * y, y * y, x * x * x, x * x * y, x * y * y, y * y * y};
  for (int i = 0; i < n; ++i) v[i] = all[i];
  return v;
}

}  // namespace

double predictedErrorOver(const std::vector<Point2>& fitted, ModelType t, double rmseFit, const PixelWindow& o) {
  const int n = basisSize(t);
  if (static_cast<int>(fitted.size()) < n) return std::numeric_limits<double>::infinity();
  const Point2 c{o.x + o.width / 2.0, o.y + o.height / 2.0};
  const double s = std::max(1.0, 0.5 * std::max(o.width, o.height));
  auto norm = [&](Point2 p) { return Point2{(p.x - c.x) / s, (p.y - c.y) / s}; };
  Eigen::MatrixXd phi(fitted.size(), n);
  for (size_t i = 0; i < fitted.size(); ++i) phi.row(static_cast<Eigen::Index>(i)) = basis(norm(fitted[i]), n).transpose();
  const Eigen::MatrixXd info = phi.transpose() * phi;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
  if (ldlt.info() != Eigen::Success || ldlt.rcond() < 1e-12) return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (int j = 0; j <= 8; ++j)
    for (int i = 0; i <= 8; ++i) {
      const Eigen::VectorXd v = basis(norm({o.x + o.width * i / 8.0, o.y + o.height * j / 8.0}), n);
      worst = std::max(worst, v.dot(ldlt.solve(v)));
    }
  return std::max(rmseFit, 0.2) * std::sqrt(worst);
}

}  // namespace mmreg
