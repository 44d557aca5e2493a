#include "nets/feature_backbone.h"

#include "mmreg/error.h"

namespace mmreg::nets {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

torch::Tensor halve(const torch::Tensor& x) {
  if (torch::GradMode::is_enabled() || !x.is_cpu() || x.scalar_type() != torch::kFloat || !x.is_contiguous())
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).ceil_mode(true));
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3), oh = (h + 1) / 2, ow = (w + 1) / 2;
  auto out = torch::empty({x.size(0), x.size(1), oh, ow}, x.options());
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for (int64_t p = 0; p < planes; ++p, in += h * w) {
    for (int64_t y = 0; y < oh; ++y) {
      const float* r0 = in + 2 * y * w;
      const float* r1 = 2 * y + 1 < h ? r0 + w : nullptr;  // none below on an odd height's last row
      for (int64_t c = 0; c < ow; ++c, ++o) {
        const int64_t x0 = 2 * c;
        const bool right = x0 + 1 < w;
        // avg_pool2d's order: row by row, left to right, then divided by the cells inside.
        float sum = r0[x0];
        if (right) sum += r0[x0 + 1];
        if (r1) {
          sum += r1[x0];
          if (right) sum += r1[x0 + 1];
        }
        *o = sum / static_cast<float>((right ? 2 : 1) * (r1 ? 2 : 1));
      }
    }
  }
  return out;
}

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
  // In place where autograd allows it (a convolution's backward needs its input, not its output,
  // and ReLU's its output): full-resolution temporaries are most of the time outside the
  // convolutions.
  auto x = options.intensity ? torch::cat({structural, image - 0.5}, 1) : structural;
  std::vector<torch::Tensor> levels;
  for (size_t level = 0; level < stages->size(); ++level) {
    if (level > 0) x = halve(x);
    const bool ownStem = level == 0 && sar && options.sarStem;
    x = (ownStem ? sarStem.get() : stages[level]->as<nn::Conv2d>())->forward(x).relu_();
    levels.push_back(x);
  }
  torch::Tensor residual;
  for (size_t level = levels.size(); level-- > 0;) {
    auto r = head(level, levels[level]);
    if (!residual.defined()) {
      residual = r;
      continue;
    }
    const std::vector<int64_t> size{r.size(2), r.size(3)};
    residual = r.add_(F::interpolate(residual, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false)));
  }
  return residual.add_(structural).mul_(mask);
}

torch::Tensor FeatureBackboneImpl::head(size_t level, const torch::Tensor& x) {
  // oneDNN computes output channels in blocks of 16 and reorders the result to NCHW. For a
  // count that is not a multiple of 16 that reorder is its generic JIT one, whose creation took
  // 20-100 ms on some tile shapes (each new shape creates it anyway): more than the whole forward
  // pass. So the head runs with zero weights up to 16 channels, the same arithmetic for the
  // channels kept, and the rest is dropped.
  const auto& conv = heads[level]->as<nn::Conv2d>();
  const int64_t out = conv->weight.size(0), extra = (16 - out % 16) % 16;
  if (extra == 0) return conv->forward(x);
  const auto weight = torch::cat({conv->weight, conv->weight.new_zeros({extra, conv->weight.size(1), 1, 1})});
  const auto bias = torch::cat({conv->bias, conv->bias.new_zeros({extra})});
  return F::conv2d(x, weight, F::Conv2dFuncOptions().bias(bias).dilation(conv->options.dilation())).narrow(1, 0, out);
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
