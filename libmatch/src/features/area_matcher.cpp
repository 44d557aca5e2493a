#include "features/area_matcher.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/corner_detector.h"
#include "features/fft_ncc.h"
#include "features/structural_features.h"
#include "parallel_items.h"

namespace mmreg {
namespace {

// Keypoints as a response map: their scores where they are, -infinity elsewhere.
cv::Mat keypointResponse(const Image& ref, const Detector& d) {
  cv::Mat r(ref.height, ref.width, CV_32F, cv::Scalar(-INFINITY));
  for (const auto& k : d.detect(ref, ref.width * ref.height / 16)) {
    const int x = static_cast<int>(k.pos.x), y = static_cast<int>(k.pos.y);
    if (x >= 0 && y >= 0 && x < ref.width && y < ref.height) r.at<float>(y, x) = static_cast<float>(k.score);
  }
  return r;
}

// Template centres: on a regular grid, each moved to the strongest corner (or keypoint) of its
// cell whose template has enough valid pixels, so every template holds structure in two
// directions (under scattered nodata the cell's strongest corner may sit on a sliver of data).
// validShare: windowValidShare of the reference's mask for templates of side t.
std::vector<cv::Point> templateCentres(const Image& ref, int t, int step, double minValid, const cv::Mat& validShare,
                                       const Detector* centres) {
  cv::Mat response;
  if (centres) response = keypointResponse(ref, *centres);
  else response = cornerResponse(ref);
  std::vector<cv::Point> out;
  const int h = t / 2;
  for (int cy = h; cy + (t - h) <= ref.height; cy += step) {
    for (int cx = h; cx + (t - h) <= ref.width; cx += step) {
      const int x1 = std::min(cx + step, ref.width - (t - h) + 1), y1 = std::min(cy + step, ref.height - (t - h) + 1);
      double best = -INFINITY;
      cv::Point bp(cx, cy);
      for (int y = cy; y < y1; ++y)
        for (int x = cx; x < x1; ++x)
          if (response.at<float>(y, x) > best && validShare.at<float>(y, x) >= minValid) best = response.at<float>(y, x), bp = {x, y};
      if (std::isfinite(best)) out.push_back(bp);  // else no keypoint with enough valid pixels around it in this cell
    }
  }
  return out;
}

}  // namespace

std::vector<cv::Mat> computeFeatures(const DenseFeatures* features, const Image& image, Modality modality) {
  return features ? features->computeFor(image, modality) : structuralFeatures(image);
}

int defaultTemplateSize(int tileSide) { return std::clamp(tileSide / 4 / 2 * 2, 48, 96); }

std::vector<TileMatch> AreaMatcher::match(const Image& ref, const Image& sen, int m) const {
  const int autoSize = defaultTemplateSize(std::min(ref.width, ref.height));
  int t = std::min({opt_.templateSize > 0 ? opt_.templateSize : autoSize, ref.width, ref.height});
  if (t < 16) return {};
  int step = opt_.gridStep > 0 ? opt_.gridStep : t / 2;
  // Where the valid data is fragmented (scattered clouds masked out), no large template may hold
  // enough of it: halve the templates, down to the smallest default, until one does.
  const cv::Mat refMask = validMask(ref);
  cv::Mat validShare = windowValidShare(refMask, t);
  double most = 0;
  cv::minMaxLoc(validShare, nullptr, &most);
  while (most < opt_.minValid && t / 2 >= 48) {
    t /= 2, step = std::max(8, step / 2);
    validShare = windowValidShare(refMask, t);
    cv::minMaxLoc(validShare, nullptr, &most);
  }
  const auto fr = computeFeatures(opt_.features.get(), ref, opt_.modalities.reference);
  const auto fs = computeFeatures(opt_.features.get(), sen, opt_.modalities.sensed);
  const int L = t + 2 * m;
  const cv::Mat senMask = validMask(sen), refFeatureMask = featureMask(ref);

  // Each template's match in its own slot: the same matches in the same order on any thread count.
  const auto centres = templateCentres(ref, t, std::max(8, step), opt_.minValid, validShare, opt_.centres.get());
  std::vector<std::optional<TileMatch>> found(centres.size());
  const auto errors = forEachItem(
      centres.size(), opt_.threads,
      [&](size_t i) {
        const cv::Point c = centres[i];
        const cv::Rect tbox(c.x - t / 2, c.y - t / 2, t, t);
        const cv::Rect sbox(tbox.x, tbox.y, L, L);  // sensed padded frame: template origin minus margin
        if (cv::countNonZero(senMask(sbox)) < 0.3 * L * L) return;
        std::vector<cv::Mat> tk, sk;
        for (size_t k = 0; k < fr.size(); ++k) tk.push_back(fr[k](tbox)), sk.push_back(fs[k](sbox));
        const cv::Mat ncc = maskedMultiChannelNcc(tk, refFeatureMask(tbox), sk);
        double best, second;
        cv::Point p;
        cv::minMaxLoc(ncc, nullptr, &best, nullptr, &p);
        if (best <= 0 || p.x == 0 || p.y == 0 || p.x == 2 * m || p.y == 2 * m) return;  // peak on the border: truncated
        cv::Mat rest = ncc.clone();
        cv::circle(rest, p, 4, cv::Scalar(-1), cv::FILLED);
        cv::minMaxLoc(rest, nullptr, &second);
        if (second > opt_.maxPeakRatio * best) return;
        const double dx = parabolaPeak(ncc.at<double>(p.y, p.x - 1), ncc.at<double>(p.y, p.x), ncc.at<double>(p.y, p.x + 1));
        const double dy = parabolaPeak(ncc.at<double>(p.y - 1, p.x), ncc.at<double>(p.y, p.x), ncc.at<double>(p.y + 1, p.x));
        // The template's centre, in pixel-corner coordinates, and where it moved to.
        TileMatch tm;
        tm.ref = {tbox.x + t / 2.0, tbox.y + t / 2.0};
        tm.sensed = {tm.ref.x + (p.x - m) + dx, tm.ref.y + (p.y - m) + dy};
        tm.score = best - std::max(0.0, second);
        found[i] = tm;
      },
      [](size_t) {});
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  std::vector<TileMatch> out;
  for (const auto& f : found)
    if (f) out.push_back(*f);
  return out;
}

}  // namespace mmreg
