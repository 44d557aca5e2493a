#include "mmreg/model.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>

#include "mmreg/error.h"

namespace mmreg {

const char* modelName(ModelType t) {
  switch (t) {
    case ModelType::Auto: return "auto";
    case ModelType::Translation: return "translation";
    case ModelType::Similarity: return "similarity";
    case ModelType::Affine: return "affine";
    case ModelType::Projective: return "projective";
    case ModelType::Poly2: return "poly2";
    case ModelType::Poly3: return "poly3";
    case ModelType::Tps: return "tps";
  }
  return "?";
}

bool parseModelType(const std::string& text, ModelType* out) {
  for (auto t : {ModelType::Auto, ModelType::Translation, ModelType::Similarity, ModelType::Affine,
                 ModelType::Projective, ModelType::Poly2, ModelType::Poly3, ModelType::Tps})
    if (text == modelName(t)) return *out = t, true;
  return false;
}

int minimalSampleSize(ModelType t) {
  switch (t) {
    case ModelType::Translation: return 1;
    case ModelType::Similarity: return 2;
    case ModelType::Affine: return 3;
    case ModelType::Projective: return 4;
    case ModelType::Poly2: return 6;
    case ModelType::Poly3: return 10;
    case ModelType::Tps: return 10;
    default: return 3;
  }
}

int minimumInliers(ModelType t) { return 4 * minimalSampleSize(t == ModelType::Tps ? ModelType::Affine : t) + 4; }

bool Transform2D::isAffine() const {
  return type() == ModelType::Translation || type() == ModelType::Similarity || type() == ModelType::Affine;
}
std::array<double, 6> Transform2D::affineMatrix() const { throw Error("internal: not an affine model"); }

namespace {

// Centre and scale that bring points to about unit spread, for well-conditioned fits.
struct Normalizer {
  double cx = 0, cy = 0, s = 1;
  explicit Normalizer(const std::vector<Point2>& p) {
    for (auto& q : p) cx += q.x, cy += q.y;
    cx /= p.size(), cy /= p.size();
    double d = 0;
    for (auto& q : p) d += std::hypot(q.x - cx, q.y - cy);
    d /= p.size();
    s = d > 1e-12 ? d : 1.0;
  }
  Normalizer() = default;
  Point2 operator()(Point2 p) const { return {(p.x - cx) / s, (p.y - cy) / s}; }
};

class AffineModel : public Transform2D {
 public:
  AffineModel(ModelType t, std::array<double, 6> m) : t_(t), m_(m) {}
  ModelType type() const override { return t_; }
  Point2 apply(Point2 p) const override { return {m_[0] * p.x + m_[1] * p.y + m_[2], m_[3] * p.x + m_[4] * p.y + m_[5]}; }
  std::vector<double> parameters() const override { return {m_.begin(), m_.end()}; }
  std::unique_ptr<Transform2D> clone() const override { return std::make_unique<AffineModel>(*this); }
  std::array<double, 6> affineMatrix() const override { return m_; }

 private:
  ModelType t_;
  std::array<double, 6> m_;
};

class ProjectiveModel : public Transform2D {
 public:
  explicit ProjectiveModel(Eigen::Matrix3d h) : h_(h / h(2, 2)) {}
  ModelType type() const override { return ModelType::Projective; }
  Point2 apply(Point2 p) const override {
    const Eigen::Vector3d q = h_ * Eigen::Vector3d(p.x, p.y, 1);
    return {q(0) / q(2), q(1) / q(2)};
  }
  std::vector<double> parameters() const override {
    return {h_(0, 0), h_(0, 1), h_(0, 2), h_(1, 0), h_(1, 1), h_(1, 2), h_(2, 0), h_(2, 1), h_(2, 2)};
  }
  std::unique_ptr<Transform2D> clone() const override { return std::make_unique<ProjectiveModel>(*this); }

 private:
  Eigen::Matrix3d h_;
};

int polyTerms(int order) { return (order + 1) * (order + 2) / 2; }
void monomials(int order, Point2 u, double* out) {
  int k = 0;
  for (int d = 0; d <= order; ++d)
    for (int j = 0; j <= d; ++j) out[k++] = std::pow(u.x, d - j) * std::pow(u.y, j);
}

class PolyModel : public Transform2D {
 public:
  PolyModel(int order, Normalizer n, Eigen::VectorXd cx, Eigen::VectorXd cy) : order_(order), n_(n), cx_(cx), cy_(cy) {}
  ModelType type() const override { return order_ == 2 ? ModelType::Poly2 : ModelType::Poly3; }
  Point2 apply(Point2 p) const override {
    double m[10];
    monomials(order_, n_(p), m);
    double x = 0, y = 0;
    for (int i = 0; i < polyTerms(order_); ++i) x += cx_(i) * m[i], y += cy_(i) * m[i];
    return {x, y};
  }
  std::vector<double> parameters() const override {
    std::vector<double> p{n_.cx, n_.cy, n_.s};
    p.insert(p.end(), cx_.data(), cx_.data() + cx_.size());
    p.insert(p.end(), cy_.data(), cy_.data() + cy_.size());
    return p;
  }
  std::unique_ptr<Transform2D> clone() const override { return std::make_unique<PolyModel>(*this); }

 private:
  int order_;
  Normalizer n_;
  Eigen::VectorXd cx_, cy_;
};

double tpsKernel(double r2) { return r2 > 1e-20 ? r2 * std::log(r2) : 0.0; }

class TpsModel : public Transform2D {
 public:
  TpsModel(Normalizer n, std::vector<Point2> from, std::vector<Point2> to, Eigen::MatrixXd w)
      : n_(n), from_(std::move(from)), to_(std::move(to)), w_(std::move(w)) {}
  ModelType type() const override { return ModelType::Tps; }
  Point2 apply(Point2 p) const override {
    const Point2 u = n_(p);
    const size_t n = from_.size();
    double x = w_(n, 0) + w_(n + 1, 0) * u.x + w_(n + 2, 0) * u.y;
    double y = w_(n, 1) + w_(n + 1, 1) * u.x + w_(n + 2, 1) * u.y;
    for (size_t i = 0; i < n; ++i) {
      const Point2 c = n_(from_[i]);
      const double k = tpsKernel((u.x - c.x) * (u.x - c.x) + (u.y - c.y) * (u.y - c.y));
      x += w_(i, 0) * k, y += w_(i, 1) * k;
    }
    return {x, y};
  }
  std::vector<double> parameters() const override { return {static_cast<double>(from_.size())}; }
  std::unique_ptr<Transform2D> clone() const override { return std::make_unique<TpsModel>(*this); }
  std::vector<std::pair<Point2, Point2>> controlPoints() const override {
    std::vector<std::pair<Point2, Point2>> out;
    for (size_t i = 0; i < from_.size(); ++i) out.emplace_back(from_[i], apply(from_[i]));
    return out;
  }

 private:
  Normalizer n_;
  std::vector<Point2> from_, to_;
  Eigen::MatrixXd w_;  // (n+3) x 2: kernel weights, then the affine part
};

// Keeps at most `maxCount` points, one per cell of a regular grid, so TPS centres spread evenly.
std::vector<size_t> decimate(const std::vector<Point2>& p, size_t maxCount) {
  std::vector<size_t> idx(p.size());
  for (size_t i = 0; i < p.size(); ++i) idx[i] = i;
  if (p.size() <= maxCount) return idx;
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (auto& q : p) x0 = std::min(x0, q.x), y0 = std::min(y0, q.y), x1 = std::max(x1, q.x), y1 = std::max(y1, q.y);
  const int g = static_cast<int>(std::sqrt(static_cast<double>(maxCount)));
  std::map<int, size_t> cell;
  for (size_t i = 0; i < p.size(); ++i) {
    const int cx = std::min(g - 1, static_cast<int>((p[i].x - x0) / (x1 - x0 + 1e-9) * g));
    const int cy = std::min(g - 1, static_cast<int>((p[i].y - y0) / (y1 - y0 + 1e-9) * g));
    cell.emplace(cy * g + cx, i);
  }
  idx.clear();
  for (auto& kv : cell) idx.push_back(kv.second);
  return idx;
}

void requireCount(ModelType t, size_t n) {
  if (static_cast<int>(n) < minimalSampleSize(t))
    throw Error(std::string("too few tie points for the ") + modelName(t) + " model: " + std::to_string(n) +
                " given, at least " + std::to_string(minimalSampleSize(t)) +
                " needed; choose a simpler model (-model) or more tiles (-max_tiles)");
}

template <class Solver>
Eigen::VectorXd solveChecked(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, ModelType t) {
  Solver s(a);
  if (s.rank() < a.cols())
    throw Error(std::string("the tie points are degenerate for a ") + modelName(t) +
                " model (collinear or clustered); choose a simpler model or spread the tiles wider");
  return s.solve(b);
}

}  // namespace

std::unique_ptr<Transform2D> fitTransform(ModelType t, const std::vector<Point2>& from, const std::vector<Point2>& to) {
  requireCount(t, from.size());
  const size_t n = from.size();
  const Normalizer nf(from);
  using QR = Eigen::ColPivHouseholderQR<Eigen::MatrixXd>;
  switch (t) {
    case ModelType::Translation: {
      double tx = 0, ty = 0;
      for (size_t i = 0; i < n; ++i) tx += to[i].x - from[i].x, ty += to[i].y - from[i].y;
      return std::make_unique<AffineModel>(t, std::array<double, 6>{1, 0, tx / n, 0, 1, ty / n});
    }
    case ModelType::Similarity: {
      Eigen::MatrixXd a(2 * n, 4);
      Eigen::VectorXd b(2 * n);
      for (size_t i = 0; i < n; ++i) {
        const Point2 u = nf(from[i]);
        a.row(2 * i) << u.x, -u.y, 1, 0;
        a.row(2 * i + 1) << u.y, u.x, 0, 1;
        b(2 * i) = to[i].x, b(2 * i + 1) = to[i].y;
      }
      const Eigen::VectorXd p = solveChecked<QR>(a, b, t);
      // Undo the normalisation: u = (x - c)/s.
      const double ca = p(0) / nf.s, cb = p(1) / nf.s;
      return std::make_unique<AffineModel>(
          t, std::array<double, 6>{ca, -cb, p(2) - ca * nf.cx + cb * nf.cy, cb, ca, p(3) - cb * nf.cx - ca * nf.cy});
    }
    case ModelType::Affine: {
      Eigen::MatrixXd a(n, 3);
      Eigen::VectorXd bx(n), by(n);
      for (size_t i = 0; i < n; ++i) {
        const Point2 u = nf(from[i]);
        a.row(i) << u.x, u.y, 1;
        bx(i) = to[i].x, by(i) = to[i].y;
      }
      const Eigen::VectorXd px = solveChecked<QR>(a, bx, t), py = solveChecked<QR>(a, by, t);
      const double s = nf.s;
      return std::make_unique<AffineModel>(
          t, std::array<double, 6>{px(0) / s, px(1) / s, px(2) - (px(0) * nf.cx + px(1) * nf.cy) / s, py(0) / s, py(1) / s,
                                   py(2) - (py(0) * nf.cx + py(1) * nf.cy) / s});
    }
    case ModelType::Projective: {
      const Normalizer nt(to);
      Eigen::MatrixXd a(2 * n, 9);
      for (size_t i = 0; i < n; ++i) {
        const Point2 u = nf(from[i]), v = nt(to[i]);
        a.row(2 * i) << -u.x, -u.y, -1, 0, 0, 0, v.x * u.x, v.x * u.y, v.x;
        a.row(2 * i + 1) << 0, 0, 0, -u.x, -u.y, -1, v.y * u.x, v.y * u.y, v.y;
      }
      Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeFullV);
      const Eigen::VectorXd h = svd.matrixV().col(8);
      Eigen::Matrix3d hn;
      hn << h(0), h(1), h(2), h(3), h(4), h(5), h(6), h(7), h(8);
      Eigen::Matrix3d tf, tt;
      tf << 1 / nf.s, 0, -nf.cx / nf.s, 0, 1 / nf.s, -nf.cy / nf.s, 0, 0, 1;
      tt << 1 / nt.s, 0, -nt.cx / nt.s, 0, 1 / nt.s, -nt.cy / nt.s, 0, 0, 1;
      const Eigen::Matrix3d hm = tt.inverse() * hn * tf;
      if (std::abs(hm(2, 2)) < 1e-12)
        throw Error("the tie points are degenerate for a projective model; choose affine (-model affine)");
      return std::make_unique<ProjectiveModel>(hm);
    }
    case ModelType::Poly2:
    case ModelType::Poly3: {
      const int order = t == ModelType::Poly2 ? 2 : 3, k = polyTerms(order);
      Eigen::MatrixXd a(n, k);
      Eigen::VectorXd bx(n), by(n);
      for (size_t i = 0; i < n; ++i) {
        double m[10];
        monomials(order, nf(from[i]), m);
        for (int j = 0; j < k; ++j) a(i, j) = m[j];
        bx(i) = to[i].x, by(i) = to[i].y;
      }
      return std::make_unique<PolyModel>(order, nf, solveChecked<QR>(a, bx, t), solveChecked<QR>(a, by, t));
    }
    case ModelType::Tps: {
      const auto keep = decimate(from, 400);
      std::vector<Point2> f, g;
      for (auto i : keep) f.push_back(from[i]), g.push_back(to[i]);
      requireCount(t, f.size());
      const Normalizer nc(f);
      const size_t m = f.size();
      Eigen::MatrixXd a = Eigen::MatrixXd::Zero(m + 3, m + 3), b = Eigen::MatrixXd::Zero(m + 3, 2);
      for (size_t i = 0; i < m; ++i) {
        const Point2 ui = nc(f[i]);
        for (size_t j = 0; j < m; ++j) {
          const Point2 uj = nc(f[j]);
          a(i, j) = tpsKernel((ui.x - uj.x) * (ui.x - uj.x) + (ui.y - uj.y) * (ui.y - uj.y));
        }
        a(i, i) += 1e-8;  // tiny ridge: exact interpolation, but duplicate points do not break the solve
        a(i, m) = a(m, i) = 1;
        a(i, m + 1) = a(m + 1, i) = ui.x;
        a(i, m + 2) = a(m + 2, i) = ui.y;
        b(i, 0) = g[i].x, b(i, 1) = g[i].y;
      }
      Eigen::FullPivLU<Eigen::MatrixXd> lu(a);
      if (!lu.isInvertible())
        throw Error("the tie points are degenerate for a thin plate spline; choose a polynomial model");
      return std::make_unique<TpsModel>(nc, f, g, lu.solve(b));
    }
    default: break;
  }
  throw Error("internal: fitTransform needs a concrete model type, not 'auto'");
}

}  // namespace mmreg
