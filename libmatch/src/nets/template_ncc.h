#pragma once
// The area matcher's correlation, differentiable: zero-mean normalised cross-correlation of
// multi-channel templates over their search windows (as FftNccSearch computes it), and the
// training objective on it (issue 13): a softmax cross-entropy at the true displacement plus a
// margin between the true peak and the best peak a few pixels away.
#include <torch/torch.h>

namespace mmreg::nets {

// templates (N, D, t, t), windows (N, D, t + 2m, t + 2m) -> (N, 2m + 1, 2m + 1): at (v, u) the
// NCC of template n placed at (u, v) in its window, channels summed as in FftNccSearch; 0 where
// the template or the window is flat.
torch::Tensor templateNcc(const torch::Tensor& templates, const torch::Tensor& windows);

struct NccLossOptions {
  double temperature = 0.05;  // softmax temperature on NCC values
  double margin = 0.1;        // wanted NCC lead of the true peak over the best distant one
  double marginWeight = 1.0;
  double exclusion = 2.5;     // px: positions farther than this from the truth are "distant"
};

struct NccLoss {
  torch::Tensor loss;   // scalar, differentiable
  double accuracy = 0;  // share of templates whose NCC maximum lies within 2 px of the truth
};

// ncc from templateNcc; truth (N, 2): the true placement (u, v) of each template, sub-pixel,
// in map indices (the target spreads over the four neighbours, bilinearly).
NccLoss nccMatchingLoss(const torch::Tensor& ncc, const torch::Tensor& truth, const NccLossOptions& options = {});

}  // namespace mmreg::nets
