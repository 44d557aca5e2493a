#include "mmreg/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mmreg::metrics {
namespace {

// Counts points of `from` that have a point of `to` within eps (brute force: keypoint sets in
// an evaluation are a few thousand at most).
std::size_t covered(const std::vector<Point2>& from, const std::vector<Point2>& to, double eps) {
  std::size_t n = 0;
  const double e2 = eps * eps;
  for (const auto& p : from)
    for (const auto& q : to)
      if ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y) <= e2) {
        ++n;
        break;
      }
  return n;
}

}  // namespace

double repeatability(const std::vector<Point2>& a, const std::vector<Point2>& b, double eps) {
  if (a.empty() && b.empty()) return 0;
  return static_cast<double>(covered(a, b, eps) + covered(b, a, eps)) / (a.size() + b.size());
}

int ncm(const std::vector<double>& errors, double t) {
  return static_cast<int>(std::count_if(errors.begin(), errors.end(), [t](double e) { return e <= t; }));
}

double mma(const std::vector<double>& errors, double t) {
  return errors.empty() ? 0.0 : static_cast<double>(ncm(errors, t)) / errors.size();
}

double cmr(const std::vector<double>& errors, double t) { return mma(errors, t); }

double averagePrecision(const std::vector<double>& scores, const std::vector<double>& errors, double t) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return scores[i] > scores[j]; });
  double sum = 0;
  std::size_t correct = 0;
  for (std::size_t k = 0; k < order.size(); ++k)
    if (errors[order[k]] <= t) {
      ++correct;
      sum += static_cast<double>(correct) / (k + 1);
    }
  return correct ? sum / correct : 0.0;
}

double nnMap(const std::vector<double>& scores, const std::vector<double>& errors, const std::vector<double>& thresholds) {
  if (thresholds.empty()) return 0;
  double s = 0;
  for (double t : thresholds) s += averagePrecision(scores, errors, t);
  return s / thresholds.size();
}

double matchingScore(const std::vector<double>& errors, double t, std::size_t ka, std::size_t kb) {
  const double mean = 0.5 * (ka + kb);
  return mean > 0 ? ncm(errors, t) / mean : 0.0;
}

double rmse(const std::vector<Point2>& r) {
  if (r.empty()) return std::nan("");
  double s = 0;
  for (const auto& v : r) s += v.x * v.x + v.y * v.y;
  return std::sqrt(s / r.size());
}

double fpr95(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<double> pos, neg;
  for (std::size_t i = 0; i < scores.size(); ++i) (labels[i] ? pos : neg).push_back(scores[i]);
  if (pos.empty() || neg.empty()) return std::nan("");
  std::sort(pos.begin(), pos.end(), std::greater<double>());
  // The lowest threshold needed: the score of the ceil(0.95 |P|)-th best positive.
  const std::size_t k = static_cast<std::size_t>(std::ceil(0.95 * pos.size())) - 1;
  const double threshold = pos[k];
  const auto fp = std::count_if(neg.begin(), neg.end(), [&](double s) { return s >= threshold; });
  return static_cast<double>(fp) / neg.size();
}

double successRate(const std::vector<double>& checkRmse, double threshold) {
  if (checkRmse.empty()) return 0;
  const auto ok = std::count_if(checkRmse.begin(), checkRmse.end(), [&](double e) { return std::isfinite(e) && e < threshold; });
  return static_cast<double>(ok) / checkRmse.size();
}

}  // namespace mmreg::metrics
