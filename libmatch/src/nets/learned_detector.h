#pragma once
// The detection network behind mmreg::Detector.
#include <mutex>

#include "mmreg/features.h"
#include "nets/detection_net.h"

namespace mmreg::nets {

class LearnedDetector : public Detector {
 public:
  // Loads options.weights (empty: the shipped models/detector.pt); throws mmreg::Error.
  explicit LearnedDetector(const LearnedModelOptions& options);
  std::string name() const override { return "learned"; }
  // The strongest local maxima (4 px suppression radius) of the fused score map, over valid
  // pixels. No score threshold: the caller's count decides (the paper's 0.6 is a training
  // visualisation; our maps are scaled per image, so a fixed threshold changes the count with
  // the content).
  std::vector<Keypoint> detect(const Image& image, int maxPoints) const override;

 private:
  torch::Device device_;
  mutable DetectionNet net_{nullptr};
};

}  // namespace mmreg::nets
