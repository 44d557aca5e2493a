#include "nets/feature_backbone.h"

#include "mmreg/error.h"

namespace mmreg::nets {

namespace nn = torch::nn;

FeatureBackboneImpl::FeatureBackboneImpl(const FeatureBackboneOptions& o) : options(o) {
  int in = o.channels + (o.intensity ? 1 : 0);
  for (int level = 0; level < 4; ++level) {
    stages->push_back(nn::Conv2d(nn::Conv2dOptions(in, o.width, 3).padding(1)));
    // Dilation does nothing to a 1x1 kernel but makes LibTorch 1.13 run it through oneDNN: an
    // undilated 1x1 convolution on one thread falls back to im2col + the system BLAS, which on
    // Debian is the slow reference one (measured: a quarter of a whole registration's time).
    heads->push_back(nn::Conv2d(nn::Conv2dOptions(o.width, o.channels, 1).dilation(2)));
    in = o.width;
  }
  register_module("stages", stages);
  register_module("heads", heads);
  if (o.sarStem) sarStem = register_module("sar_stem", nn::Conv2d(nn::Conv2dOptions(o.channels + (o.intensity ? 1 : 0), o.width, 3).padding(1)));
  resetResidual();
}

void FeatureBackboneImpl::resetResidual() {
  torch::NoGradGuard noGrad;
  for (const auto& h : *heads) {
    h->as<nn::Conv2d>()->weight.zero_();
    h->as<nn::Conv2d>()->bias.zero_();
  }
}

torch::Tensor FeatureBackboneImpl::forward(const torch::Tensor& structural, const torch::Tensor& image, const torch::Tensor& mask, bool sar) {
  namespace F = torch::nn::functional;
  auto x = options.intensity ? torch::cat({structural, image - 0.5}, 1) : structural;
  std::vector<torch::Tensor> levels;
  for (size_t level = 0; level < stages->size(); ++level) {
    if (level > 0) x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).ceil_mode(true));
    const bool ownStem = level == 0 && sar && options.sarStem;
    x = torch::relu((ownStem ? sarStem.get() : stages[level]->as<nn::Conv2d>())->forward(x));
    levels.push_back(x);
  }
  torch::Tensor residual;
  for (size_t level = levels.size(); level-- > 0;) {
    const auto r = heads[level]->as<nn::Conv2d>()->forward(levels[level]);
    if (!residual.defined()) {
      residual = r;
      continue;
    }
    const std::vector<int64_t> size{r.size(2), r.size(3)};
    residual = r + F::interpolate(residual, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false));
  }
  return (structural + residual) * mask;
}

void saveBackbone(FeatureBackbone& net, const std::string& path) {
  torch::serialize::OutputArchive archive;
  net->save(archive);
  archive.write("width", torch::tensor(net->options.width));
  archive.write("intensity", torch::tensor(net->options.intensity ? 1 : 0));
  archive.write("channels", torch::tensor(net->options.channels));
  archive.write("has_sar_stem", torch::tensor(net->options.sarStem ? 1 : 0));
  archive.save_to(path);
}

FeatureBackbone loadBackbone(const std::string& path, const torch::Device& device) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::Tensor width, intensity, channels;
    archive.read("width", width);
    archive.read("intensity", intensity);
    archive.read("channels", channels);
    FeatureBackboneOptions o;
    o.width = width.item<int>();
    o.intensity = intensity.item<int>() != 0;
    o.channels = channels.item<int>();
    torch::Tensor sarStem;  // absent from files written before the option existed
    o.sarStem = archive.try_read("has_sar_stem", sarStem) && sarStem.item<int>() != 0;
    FeatureBackbone net(o);
    net->load(archive);
    net->to(device);
    net->eval();
    return net;
  } catch (const c10::Error& e) {
    throw Error("cannot load feature backbone weights from '" + path + "' (" + e.what_without_backtrace() +
                "); pass the .pt file that mmreg_train_backbone wrote, or the shipped models/backbone.pt");
  }
}

}  // namespace mmreg::nets
