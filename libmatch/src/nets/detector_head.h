#pragma once
// The learned part of the paper's detection head (Li, Han & Ye 2022, §3.2; issue 14): the
// peakiness scores of the structural channels (features/peakiness_detector.h) times exp of a
// small convolutional correction. The correction's last layer starts at zero, so the untrained
// head scores exactly the peakiness; training moves it towards points that repeat across
// modalities (tools/train_detector_head.cpp).
#include <torch/torch.h>

#include <string>

#include "mmreg/features.h"
#include "mmreg/image.h"

namespace mmreg::nets {

// What the head reads, (1, C + 1, H, W): the structural channels before their per-pixel
// normalisation, divided by their image-wide mean magnitude, then their fused peakiness
// (peakinessScore of features/peakiness_detector.h, the untrained detector's own score).
torch::Tensor detectorInput(const Image& image);

// The peakiness channel of detectorInput's output: (N, 1, H, W).
torch::Tensor peakinessOf(const torch::Tensor& input);

struct DetectorHeadOptions {
  int channels = 9;  // structural channels in
  int width = 16;    // hidden channels
};

struct DetectorHeadImpl : torch::nn::Module {
  explicit DetectorHeadImpl(const DetectorHeadOptions& options = {});
  // input from detectorInput; returns the score map (N, 1, H, W), positive.
  torch::Tensor forward(const torch::Tensor& input);
  void resetResidual();  // zeroes the correction: forward() == peakinessOf(input)

  DetectorHeadOptions options;
  torch::nn::Conv2d first{nullptr}, second{nullptr}, last{nullptr};
};
TORCH_MODULE(DetectorHead);

void saveDetectorHead(DetectorHead& net, const std::string& path);
DetectorHead loadDetectorHead(const std::string& path, const torch::Device& device);

// "peakiness-trained": the head's strongest local maxima (4 px apart) over valid pixels.
class TrainedPeakinessDetector : public Detector {
 public:
  // Loads the shipped models/detector_head.pt (MMREG_MODEL_DIR overrides its folder), or `net`.
  explicit TrainedPeakinessDetector(const LearnedModelOptions& options);
  explicit TrainedPeakinessDetector(DetectorHead net);
  std::string name() const override { return "peakiness-trained"; }
  std::vector<Keypoint> detect(const Image& image, int maxPoints) const override;

 private:
  mutable DetectorHead net_{nullptr};
};

}  // namespace mmreg::nets
