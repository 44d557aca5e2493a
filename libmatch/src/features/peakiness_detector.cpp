#include "features/peakiness_detector.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/local_maxima.h"
#include "features/structural_features.h"

namespace mmreg {
namespace {

cv::Mat softplus(const cv::Mat& x) {
  // log(1 + e^x), without overflow for large x.
  cv::Mat e, out;
  cv::exp(-cv::abs(x), e);
  cv::log(1 + e, out);
  return out + cv::max(x, 0);
}

// max over channels of alpha * beta at one resolution.
cv::Mat levelScore(const std::vector<cv::Mat>& d) {
  cv::Mat mean = cv::Mat::zeros(d[0].size(), CV_32F);
  for (const auto& c : d) mean += c / static_cast<double>(d.size());
  cv::Mat best = cv::Mat::zeros(d[0].size(), CV_32F);
  for (const auto& c : d) {
    cv::Mat local;
    cv::boxFilter(c, local, CV_32F, {3, 3}, {-1, -1}, true, cv::BORDER_REFLECT);
    best = cv::max(best, softplus(c - local).mul(softplus(c - mean)));
  }
  return best;
}

}  // namespace

cv::Mat peakinessScore(const std::vector<cv::Mat>& channels) {
  // A common scale first: softplus is not scale-free, and images differ in contrast.
  double energy = 0;
  for (const auto& c : channels) energy += cv::mean(cv::abs(c))[0] / channels.size();
  const double unit = energy > 0 ? 1 / energy : 1;
  const cv::Size full = channels[0].size();
  cv::Mat fused = cv::Mat::zeros(full, CV_32F);
  const double weights[] = {1, 2, 3};
  for (int level = 0; level < 3; ++level) {
    std::vector<cv::Mat> d;
    for (const auto& c : channels) {
      cv::Mat s = c * unit;
      if (level > 0) cv::resize(s, s, {std::max(1, full.width >> level), std::max(1, full.height >> level)}, 0, 0, cv::INTER_AREA);
      d.push_back(s);
    }
    cv::Mat score = levelScore(d);
    if (level > 0) cv::resize(score, score, full, 0, 0, cv::INTER_LINEAR);
    fused += score * (weights[level] / 6);
  }
  return fused;
}

std::vector<Keypoint> PeakinessDetector::detect(const Image& image, int maxPoints) const {
  StructuralFeatureOptions raw;
  raw.normalisation = StructuralFeatureOptions::Normalisation::None;
  const cv::Mat score = peakinessScore(features_ ? features_->compute(image) : structuralFeatures(image, raw));
  return strongestLocalMaxima(score, featureMask(image), 4, maxPoints);  // 4 px suppression, as the corners
}

}  // namespace mmreg
