#pragma once
// The learned tile matcher (Li, Han & Ye 2022): keypoints of the learned detector in both
// tiles, a patch around each, and the cross-fusion network's matching matrix; the mutual best
// matches above a threshold, within the search margin, are the tile's matches.
#include "mmreg/features.h"
#include "nets/cross_fusion_net.h"
#include "nets/learned_detector.h"

namespace mmreg::nets {

class LearnedMatcher : public TileMatcher {
 public:
  // Loads both networks (options.weights, options.matcherWeights; empty: the shipped ones);
  // throws mmreg::Error.
  explicit LearnedMatcher(const LearnedModelOptions& options);
  std::string name() const override { return "learned"; }
  std::vector<TileMatch> match(const Image& ref, const Image& sensedPadded, int margin) const override;

  static constexpr int kPixelsPerKeypoint = 32 * 32;  // reference keypoint budget: one per 32 x 32 px
  // Sensed keypoints are kept this many times denser: the detector repeats poorly across
  // modalities, and a true match needs its cell among the sensed keypoints.
  static constexpr int kSensedDensity = 4;
  static constexpr double kMinScore = 0.5;            // the balanced loss's decision boundary

 private:
  torch::Device device_;
  LearnedDetector detector_;
  mutable CrossFusionNet net_{nullptr};
};

}  // namespace mmreg::nets
