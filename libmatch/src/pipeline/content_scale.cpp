#include "pipeline/content_scale.h"

#include <cpl_error.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"

namespace mmreg {
namespace {

constexpr int kWindow = 256;   // output pixels of each measured window
constexpr int kMaxFactor = 16;        // of one measurement
constexpr int kMaxTotalFactor = 256;  // of all together
// Halving the resolution of an image that is sharp at its pixel size raises its mean gradient
// (per pixel) by far less than 2; of an oversampled one, by about 2.
constexpr double kOversampledRatio = 1.5;

// Mean gradient magnitude over valid pixels, per pixel of the image.
double meanGradient(const cv::Mat& img, const cv::Mat& valid) {
  cv::Mat gx, gy, mag;
  cv::Sobel(img, gx, CV_32F, 1, 0, 3, 1.0 / 8);
  cv::Sobel(img, gy, CV_32F, 0, 1, 3, 1.0 / 8);
  cv::magnitude(gx, gy, mag);
  cv::Mat inner;
  cv::erode(valid, inner, cv::Mat(), {-1, -1}, 1);
  return cv::countNonZero(inner) > 16 ? cv::mean(mag, inner)[0] : NAN;
}

// Mean gradient of `img` box-averaged by 1, 2, 4, ... (index k: factor 2^k).
std::vector<double> gradientPyramid(const Image& img) {
  cv::Mat m = asMat(img).clone(), v = validMask(img);
  std::vector<double> g;
  while (m.cols >= 16 && m.rows >= 16 && static_cast<int>(g.size()) <= 5) {
    g.push_back(meanGradient(m, v));
    cv::resize(m, m, {m.cols / 2, m.rows / 2}, 0, 0, cv::INTER_AREA);
    cv::resize(v, v, {v.cols / 2, v.rows / 2}, 0, 0, cv::INTER_NEAREST);
  }
  return g;
}

// Smallest factor whose halving no longer about doubles the mean gradient.
int factorOf(const std::vector<std::vector<double>>& pyramids) {
  for (int k = 0, f = 1; f < kMaxFactor; ++k, f *= 2) {
    std::vector<double> ratios;
    for (const auto& g : pyramids)
      if (k + 1 < static_cast<int>(g.size()) && g[k] > 0 && std::isfinite(g[k + 1])) ratios.push_back(g[k + 1] / g[k]);
    if (ratios.empty()) return f;
    std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
    CPLDebug("MMREG", "content scale: halving at factor %d raises the mean gradient %.2f times", f, ratios[ratios.size() / 2]);
    if (ratios[ratios.size() / 2] < kOversampledRatio) return f;
  }
  return kMaxFactor;
}

// One measurement: windows read at `scale`, their pyramids to kMaxFactor. 0 when the overlap
// is too small to measure at this scale.
int measuredFactor(const MatchContext& c, const PixelMapping& m, const PixelWindow& o, double scale) {
  const int side = std::min(kWindow, static_cast<int>(std::min(o.width, o.height) / scale));
  if (side < 64) return 0;
  std::vector<std::vector<double>> ref, sen;
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 3; ++i) {
      const Point2 centre{o.x + o.width * (i + 0.5) / 3, o.y + o.height * (j + 0.5) / 3};
      const double half = side * scale / 2;
      const PixelWindow rw{static_cast<int>(centre.x - half), static_cast<int>(centre.y - half), static_cast<int>(2 * half),
                           static_cast<int>(2 * half)};
      ref.push_back(gradientPyramid(readProcessed(c.ref, c.refBands, rw, side, side)));
      // The same ground in the sensed image's own grid, at the same number of pixels.
      std::vector<Point2> q{centre};
      m.refToSensed(q);
      const double senHalf = half * sensedPixelsPerRefPixel(m, centre);
      if (!std::isfinite(q[0].x) || !std::isfinite(senHalf)) continue;
      const PixelWindow sw{static_cast<int>(q[0].x - senHalf), static_cast<int>(q[0].y - senHalf), static_cast<int>(2 * senHalf),
                           static_cast<int>(2 * senHalf)};
      sen.push_back(gradientPyramid(readProcessed(c.sen, c.senBands, sw, side, side)));
    }
  // The coarser of the two: a match needs structure in both images.
  return std::max(factorOf(ref), factorOf(sen));
}

}  // namespace

int contentFactor(const MatchContext& c, const PixelMapping& m, const PixelWindow& o, double scale) {
  // A measurement that reaches its largest factor saw no structure at any level: measure again
  // on windows read that much coarser (the sample upsampled 40 times needs 32).
  int f = 1;
  while (f < kMaxTotalFactor) {
    const int level = measuredFactor(c, m, o, scale * f);
    if (level == 0) break;  // too few pixels left to measure
    f *= level;
    if (level < kMaxFactor) break;
  }
  f = std::min(f, kMaxTotalFactor);
  // Small images stay at their own grid: coarsened, they would hold too few templates.
  while (f > 1 && std::min(o.width, o.height) / (scale * f) < 256) f /= 2;
  return f;
}

}  // namespace mmreg
