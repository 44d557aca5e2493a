#pragma once
// Deformable 3x3 convolution (Dai et al. 2017) from plain torch ops, because LibTorch 1.13 has
// no deform_conv: an offset convolution predicts (dy, dx) for each of the 9 taps at every pixel,
// grid_sample reads the input bilinearly at the shifted taps (zeros outside), and a 1x1
// convolution over the 9 stacked samples applies the 3x3 kernel's weights.
#include <torch/torch.h>

namespace mmreg::nets {

struct DeformConv2dImpl : torch::nn::Module {
  DeformConv2dImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  // The same with given offsets (B, 18, H, W), ordered (dy, dx) per tap, taps row-major.
  torch::Tensor forwardWithOffsets(const torch::Tensor& x, const torch::Tensor& offsets);

  torch::nn::Conv2d offset{nullptr};  // 3x3, in -> 18, zero-initialised: starts as a plain conv
  torch::nn::Conv2d weight{nullptr};  // 1x1, 9*in -> out: tap-major channel order (k * in + c)
};
TORCH_MODULE(DeformConv2d);

}  // namespace mmreg::nets
