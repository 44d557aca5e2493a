#pragma once
// The learned tile matcher (Li, Han & Ye 2022 on the learned backbone, issue 14): keypoints of a
// detector in both tiles, the backbone's descriptor blocks around them, the cross-fusion head's
// matching matrix; the mutual best matches above a threshold, within the search margin, are the
// tile's matches. The pipeline then refines them by area correlation and fits one global model.
#include <memory>

#include "mmreg/features.h"
#include "nets/cross_fusion_head.h"
#include "nets/learned_features.h"

namespace mmreg::nets {

class LearnedMatcher : public TileMatcher {
 public:
  // Loads the backbone (options.featureWeights) and the head (options.matcherWeights; empty: the
  // shipped ones); keypoints: the detector (null: corners). sensedGridStep 0: the sensed tokens
  // are the detector's keypoints, kSensedDensity times denser; n > 0: every n px instead, so that
  // a token lies near every true match whatever the detector repeats (measured in
  // docs/benchmarks/CROSS_FUSION.md: more registrations, several times the time). Throws mmreg::Error.
  LearnedMatcher(const LearnedModelOptions& options, std::shared_ptr<const Detector> keypoints, int sensedGridStep = 0);
  LearnedMatcher(std::shared_ptr<const LearnedFeatures> features, CrossFusionHead head, std::shared_ptr<const Detector> keypoints);
  std::string name() const override { return "learned"; }
  // Descriptors on one intra-op thread (LearnedFeatures): the same matches with any -threads.
  std::vector<TileMatch> match(const Image& ref, const Image& sensedPadded, int margin) const override;

  static constexpr int kPixelsPerKeypoint = 32 * 32;  // reference keypoint budget: one per 32 x 32 px
  // Sensed keypoints are kept this many times denser: detectors repeat poorly across
  // modalities, and a true match needs a sensed keypoint near it.
  static constexpr int kSensedDensity = 4;
  static constexpr double kMinScore = 0.5;  // the binary cross-entropy's decision boundary

 private:
  std::shared_ptr<const LearnedFeatures> features_;
  mutable CrossFusionHead head_{nullptr};
  std::shared_ptr<const Detector> keypoints_;
  int sensedGridStep_ = 0;
};

}  // namespace mmreg::nets
