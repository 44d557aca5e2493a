#include "nets/detector_head.h"

#include <cstring>

#include "features/local_maxima.h"
#include "features/peakiness_detector.h"
#include "features/structural_features.h"
#include "mmreg/error.h"
#include "nets/architecture_archive.h"
#include "nets/torch_support.h"

namespace mmreg::nets {

namespace nn = torch::nn;

torch::Tensor detectorInput(const Image& image) {
  StructuralFeatureOptions raw;
  raw.normalisation = StructuralFeatureOptions::Normalisation::None;
  auto channels = structuralFeatures(image, raw);
  channels.push_back(peakinessScore(channels));  // the untrained detector's own score, last
  auto t = torch::empty({1, static_cast<int64_t>(channels.size()), image.height, image.width}, torch::kFloat);
  for (size_t k = 0; k < channels.size(); ++k) std::memcpy(t[0][k].data_ptr<float>(), channels[k].ptr<float>(), sizeof(float) * image.width * image.height);
  const int64_t c = t.size(1) - 1;
  const double mean = t.slice(1, 0, c).abs().mean().item<double>();
  if (mean > 0) t.slice(1, 0, c).div_(mean);
  return t;
}

torch::Tensor peakinessOf(const torch::Tensor& input) { return input.slice(1, input.size(1) - 1); }

DetectorHeadImpl::DetectorHeadImpl(const DetectorHeadOptions& o) : options(o) {
  first = register_module("first", nn::Conv2d(nn::Conv2dOptions(o.channels + 1, o.width, 3).padding(1)));
  second = register_module("second", nn::Conv2d(nn::Conv2dOptions(o.width, o.width, 3).padding(2).dilation(2)));
  last = register_module("last", nn::Conv2d(nn::Conv2dOptions(o.width, 1, 3).padding(1)));
  resetResidual();
}

void DetectorHeadImpl::resetResidual() {
  torch::NoGradGuard noGrad;
  last->weight.zero_();
  last->bias.zero_();
}

torch::Tensor DetectorHeadImpl::forward(const torch::Tensor& input) {
  const auto peak = peakinessOf(input);
  const auto x = torch::relu(second->forward(torch::relu(first->forward(torch::cat({input.slice(1, 0, options.channels), torch::log(peak + 1e-6)}, 1)))));
  return peak * torch::exp(last->forward(x));
}

void saveDetectorHead(DetectorHead& net, const std::string& path) {
  saveWithArchitecture(*net, {net->options.channels, net->options.width}, path);
}

DetectorHead loadDetectorHead(const std::string& path, const torch::Device& device) {
  return loadWithArchitecture<DetectorHead>(path, device, "detector head", "pass the .pt file that mmreg_train_detector_head wrote",
                                            [](const std::vector<int64_t>& v) {
                                              if (v.size() != 2)
                                                throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)}, "not a detector head's architecture");
                                              DetectorHeadOptions o;
                                              o.channels = static_cast<int>(v[0]), o.width = static_cast<int>(v[1]);
                                              return DetectorHead(o);
                                            });
}

TrainedPeakinessDetector::TrainedPeakinessDetector(const LearnedModelOptions&)
    : net_(loadDetectorHead(weightsPath("", "detector_head.pt", "detector head", "", "mmreg_train_detector_head"),
                            torch::kCPU)) {}

TrainedPeakinessDetector::TrainedPeakinessDetector(DetectorHead net) : net_(std::move(net)) { net_->eval(); }

std::vector<Keypoint> TrainedPeakinessDetector::detect(const Image& image, int maxPoints) const {
  if (image.empty() || maxPoints <= 0) return {};
  // One intra-op thread, as the backbone: the tiles run side by side, and the output must not
  // depend on the thread count.
  if (torch::get_num_threads() != 1) torch::set_num_threads(1);
  torch::NoGradGuard noGrad;
  const auto score = net_->forward(detectorInput(image))[0][0].contiguous();
  const cv::Mat map(image.height, image.width, CV_32F, score.data_ptr<float>());
  return strongestLocalMaxima(map, featureMask(image), 4, maxPoints);
}

}  // namespace mmreg::nets
