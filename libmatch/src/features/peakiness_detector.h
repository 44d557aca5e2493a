#pragma once
// Keypoints where dense features peak (Li, Han & Ye 2022, §3.2, after D2-Net and ASLFeat): per
// pixel and channel c, the channel peakiness beta = softplus(D_c - mean over channels) and the
// local spatial peakiness alpha = softplus(D_c - mean of D_c over 3 x 3); the score is the
// largest alpha * beta over channels, computed on the features at full, half and quarter
// resolution and summed with weights 1, 2, 3 (coarser levels count more, as in ASLFeat), then
// non-maximum suppression. No training: the paper's detection head without its learned part,
// on the structural features before their per-pixel normalisation (a unit vector peaks as much
// in faint noise as on a strong edge), or on given dense features.
#include <memory>

#include "features/dense_features.h"
#include "mmreg/features.h"

namespace mmreg {

class PeakinessDetector : public Detector {
 public:
  // features: what peaks; null: the structural channels, unnormalised.
  explicit PeakinessDetector(std::shared_ptr<const DenseFeatures> features = nullptr, std::string name = "peakiness")
      : features_(std::move(features)), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::vector<Keypoint> detect(const Image& image, int maxPoints) const override;

 private:
  std::shared_ptr<const DenseFeatures> features_;
  std::string name_;
};

// The fused peakiness score map (CV_32F, the image's size) of the given channels.
cv::Mat peakinessScore(const std::vector<cv::Mat>& channels);

}  // namespace mmreg
