#pragma once
// The learned dense feature backbone (issue 13): the structural channels plus a learned
// residual. The residual's last layer starts at zero, so an untrained backbone gives exactly the
// structural features and the area matcher on it gives today's results; training moves it only
// where the matcher's own correlation objective pays.
#include <torch/torch.h>

#include <string>

namespace mmreg::nets {

struct FeatureBackboneOptions {
  int width = 16;          // hidden channels of each stage
  bool intensity = true;   // feed the preprocessed intensity beside the structural channels
  int channels = 9;        // structural channels in and descriptor channels out
  bool sarStem = false;    // a full-resolution first stage of its own for SAR images (modality-specific first layer)
};

// A small pyramid: a 3x3 stage at full resolution, then three 3x3 stages each on the previous
// one's output averaged 2 x 2 (1/2, 1/4, 1/8: some 40-50 px of context, which speckle needs, at
// a fraction of the cost of dilated full-resolution stages). A 1x1 head per stage maps it to the
// residual at its own resolution, and the coarser residuals are upsampled and added, coarse to
// fine: the same as one head over the upsampled, concatenated stages (both are linear), without
// building that large full-resolution tensor (measured: the concatenation and its head were
// most of the time).
struct FeatureBackboneImpl : torch::nn::Module {
  explicit FeatureBackboneImpl(const FeatureBackboneOptions& options = {});
  // structural: (N, C, H, W); image: (N, 1, H, W) in [0, 1]; mask: (N, 1, H, W), 1 where the
  // structural channels may be non-zero; sar: the batch is SAR (the SAR stem, when there is one).
  // Returns (structural + residual) * mask.
  torch::Tensor forward(const torch::Tensor& structural, const torch::Tensor& image, const torch::Tensor& mask, bool sar = false);
  // Zeroes the heads, so that forward() returns the structural channels exactly.
  void resetResidual();
  // heads[level] applied to x.
  torch::Tensor head(size_t level, const torch::Tensor& x);

  FeatureBackboneOptions options;
  torch::nn::ModuleList stages, heads;
  torch::nn::Conv2d sarStem{nullptr};  // replaces stages[0] on SAR input when options.sarStem
};
TORCH_MODULE(FeatureBackbone);

// The 2 x 2 average of each plane (an odd last row or column averaged over the cells it has): the
// same values as avg_pool2d(x, 2, ceil_mode), which it calls when autograd records or x is not a
// contiguous float CPU tensor; otherwise a plain loop, some 5 times faster than LibTorch 1.13's
// CPU kernel (11 against 2 ms on 16 x 544² on one thread).
torch::Tensor halve(const torch::Tensor& x);

// Weights with their architecture; load throws mmreg::Error naming the file and what to do.
void saveBackbone(FeatureBackbone& net, const std::string& path);
FeatureBackbone loadBackbone(const std::string& path, const torch::Device& device);

}  // namespace mmreg::nets
