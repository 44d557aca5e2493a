#include "nets/deform_conv.h"

namespace mmreg::nets {

namespace F = torch::nn::functional;

DeformConv2dImpl::DeformConv2dImpl(int64_t in, int64_t out) {
  offset = register_module("offset", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, 18, 3).padding(1)));
  weight = register_module("weight", torch::nn::Conv2d(torch::nn::Conv2dOptions(9 * in, out, 1)));
  torch::NoGradGuard g;
  offset->weight.zero_();
  offset->bias.zero_();
}

torch::Tensor DeformConv2dImpl::forward(const torch::Tensor& x) { return forwardWithOffsets(x, offset->forward(x)); }

torch::Tensor DeformConv2dImpl::forwardWithOffsets(const torch::Tensor& x, const torch::Tensor& off) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  const auto opts = x.options();
  // Pixel-index coordinates of every output position.
  const auto ys = torch::arange(h, opts).view({1, h, 1}).expand({b, h, w});
  const auto xs = torch::arange(w, opts).view({1, 1, w}).expand({b, h, w});
  std::vector<torch::Tensor> samples;
  for (int k = 0; k < 9; ++k) {
    const double dy = k / 3 - 1, dx = k % 3 - 1;
    const auto sy = ys + dy + off.select(1, 2 * k);
    const auto sx = xs + dx + off.select(1, 2 * k + 1);
    // align_corners: -1 and 1 are the centres of the first and last pixels.
    const auto gy = h > 1 ? sy * (2.0 / (h - 1)) - 1 : sy * 0;
    const auto gx = w > 1 ? sx * (2.0 / (w - 1)) - 1 : sx * 0;
    const auto grid = torch::stack({gx, gy}, -1);  // (B, H, W, 2), x first
    samples.push_back(F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(true)));
  }
  return weight->forward(torch::cat(samples, 1));
}

}  // namespace mmreg::nets
