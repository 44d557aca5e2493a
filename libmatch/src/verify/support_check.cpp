#include "verify/support_check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "estimation/extrapolation.h"

namespace mmreg {

SupportCheck checkSupport(const std::vector<TiePoint>& points, const FitResult& fit, const PixelWindow& o) {
  SupportCheck s;
  const ModelType t = fit.forward->type();
  s.inliers = fit.inlierCount;
  s.minInliers = minimumInliers(t);
  std::vector<Point2> fitted, checks;
  std::vector<cv::Point2f> hullInput;
  bool cell[9] = {};
  for (size_t i = 0; i < points.size(); ++i) {
    if (!fit.inlier[i]) continue;
    const Point2 p = points[i].ref;
    (fit.check[i] ? checks : fitted).push_back(p);
    hullInput.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
    const int cx = std::clamp(static_cast<int>(3 * (p.x - o.x) / std::max(1, o.width)), 0, 2);
    const int cy = std::clamp(static_cast<int>(3 * (p.y - o.y) / std::max(1, o.height)), 0, 2);
    cell[cy * 3 + cx] = true;
  }
  s.cellsOccupied = static_cast<int>(std::count(std::begin(cell), std::end(cell), true));
  if (hullInput.size() >= 3) {
    std::vector<cv::Point2f> hull;
    cv::convexHull(hullInput, hull);
    s.hullShare = cv::contourArea(hull) / std::max(1.0, static_cast<double>(o.width) * o.height);
  }
  s.extrapolationPx = predictedErrorOver(fitted, t, fit.rmseFit, o);
  std::vector<double> distances;
  for (const Point2& c : checks) {
    double d = std::numeric_limits<double>::infinity();
    for (const Point2& f : fitted) d = std::min(d, std::hypot(c.x - f.x, c.y - f.y));
    distances.push_back(d);
  }
  if (!distances.empty()) {
    std::sort(distances.begin(), distances.end());
    s.checkMinDistancePx = distances.front();
    s.checkMedianDistancePx = distances[distances.size() / 2];
  }
  return s;
}

}  // namespace mmreg
