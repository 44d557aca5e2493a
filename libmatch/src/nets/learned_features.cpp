#include "nets/learned_features.h"

#include <cstring>

#include "features/structural_features.h"
#include "nets/torch_support.h"

namespace mmreg::nets {

BackboneInput backboneInput(const Image& image) {
  const auto channels = structuralFeatures(image);
  const int h = image.height, w = image.width, c = static_cast<int>(channels.size());
  BackboneInput in;
  in.structural = torch::empty({1, c, h, w}, torch::kFloat);
  for (int k = 0; k < c; ++k) {
    CV_Assert(channels[k].isContinuous() && channels[k].type() == CV_32F);
    std::memcpy(in.structural[0][k].data_ptr<float>(), channels[k].ptr<float>(), sizeof(float) * h * w);
  }
  in.image = imageTensor(image).clone();
  cv::Mat mask;
  featureMask(image).convertTo(mask, CV_32F, 1.0 / 255);
  in.mask = torch::from_blob(mask.ptr<float>(), {1, 1, h, w}, torch::kFloat).clone();
  return in;
}

std::vector<cv::Mat> channelImages(const torch::Tensor& features) {
  const auto f = features.to(torch::kCPU).contiguous();
  const int c = static_cast<int>(f.size(1)), h = static_cast<int>(f.size(2)), w = static_cast<int>(f.size(3));
  std::vector<cv::Mat> out;
  for (int k = 0; k < c; ++k) out.push_back(cv::Mat(h, w, CV_32F, f[0][k].data_ptr<float>()).clone());
  return out;
}

LearnedFeatures::LearnedFeatures(const LearnedModelOptions& o) : device_(torchDevice(o.device)) {
  net_ = loadBackbone(weightsPath(o.featureWeights, "backbone.pt", "learned feature backbone", "-feature_weights", "mmreg_train_backbone"),
                      device_);
}

LearnedFeatures::LearnedFeatures(FeatureBackbone net, const std::string& device) : device_(torchDevice(device)), net_(std::move(net)) {
  net_->to(device_);
  net_->eval();
}

std::vector<cv::Mat> LearnedFeatures::computeFor(const Image& image, Modality modality) const { return channelImages(describe(image, modality)); }

torch::Tensor LearnedFeatures::describe(const Image& image, Modality modality) const {
  // One intra-op thread on the calling thread (OpenMP's count is per thread): oneDNN's blocking,
  // and so the rounding, changes with the thread count, and a seed must give the same output
  // with any -threads. The parallelism comes from the tiles, which run on their own threads.
  if (torch::get_num_threads() != 1) torch::set_num_threads(1);
  const auto in = backboneInput(image);
  torch::NoGradGuard noGrad;
  return net_->forward(in.structural.to(device_), in.image.to(device_), in.mask.to(device_), modality == Modality::Sar);
}

}  // namespace mmreg::nets
