#pragma once
// The feature backbone behind mmreg::DenseFeatures ("-features learned").
#include <vector>

#include "features/dense_features.h"
#include "nets/feature_backbone.h"

namespace mmreg::nets {

// Structural channels, the preprocessed image and the feature mask as the backbone's inputs
// (1, C, H, W), (1, 1, H, W), (1, 1, H, W) on the CPU.
struct BackboneInput {
  torch::Tensor structural, image, mask;
};
BackboneInput backboneInput(const Image& image);

// (1, C, H, W) descriptors as the area matcher's channel images (copies).
std::vector<cv::Mat> channelImages(const torch::Tensor& features);

class LearnedFeatures : public DenseFeatures {
 public:
  // Loads options.featureWeights (empty: the shipped models/backbone.pt); throws mmreg::Error.
  explicit LearnedFeatures(const LearnedModelOptions& options);
  explicit LearnedFeatures(FeatureBackbone net, const std::string& device = "cpu");
  std::string name() const override { return "learned"; }
  // Runs on one intra-op thread, whatever the thread count: the same descriptors with any -threads.
  std::vector<cv::Mat> compute(const Image& image) const override { return computeFor(image, Modality::Optical); }
  std::vector<cv::Mat> computeFor(const Image& image, Modality modality) const override;
  // The same descriptors as a (1, C, H, W) tensor on the network's device.
  torch::Tensor describe(const Image& image, Modality modality) const;

 private:
  torch::Device device_;
  mutable FeatureBackbone net_{nullptr};
};

}  // namespace mmreg::nets
