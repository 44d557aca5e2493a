#pragma once
// The detection network behind mmreg::Detector.
#include <mutex>

#include "mmreg/features.h"
#include "nets/detection_net.h"

namespace mmreg::nets {

// "cpu" or "cuda" as a LibTorch device; throws mmreg::Error for CUDA without a GPU, or another name.
torch::Device torchDevice(const std::string& name);

// Where a model's weights are: `given`, or the shipped `shippedFile`; throws mmreg::Error
// saying how to get them when the file is missing (`flag`: the option that names the file, if any).
std::string weightsPath(const std::string& given, const std::string& shippedFile, const std::string& what,
                        const std::string& flag, const std::string& trainer);

// Debian's LibTorch starts with one intra-op thread; the count is global to the process.
void setTorchThreads(int threads);

// An image (values in [0, 1]) as a (1, 1, H, W) tensor sharing its pixels.
torch::Tensor imageTensor(const Image& image);

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
