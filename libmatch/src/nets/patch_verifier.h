#pragma once
// Patch-pair verifier (issue 14), after MD-FRN / DPI-QNet (visible-LWIR patch matching that
// relates two patches' features in more than one domain): given the dense descriptor blocks of
// a candidate tie point on either side, the probability that they show the same place.
//
// Three views of the pair, each a few numbers: in the spatial domain, the zero-mean NCC surface
// of the reference block's centre over small shifts of the sensed block (the area matcher's
// own correlation) and a small CNN over the per-pixel agreement of the two blocks' descriptors;
// in the frequency domain, the centre of the phase-correlation surface (the whitened cross-power
// spectrum, summed over channels, transformed back), which weighs every spatial frequency alike
// and so does not let one strong edge decide. A small head reads them.
//
// The head's learned part starts at zero and the logit is scale * (NCC at zero shift - offset)
// plus it: the untrained verifier ranks pairs exactly as the NCC baseline does, and training
// moves it only where that pays.
#include <torch/torch.h>

#include <string>

namespace mmreg::nets {

struct PatchVerifierOptions {
  int patch = 64;    // block side, descriptor pixels
  int channels = 9;  // descriptor channels
  int shift = 4;     // the NCC and phase surfaces are read within +-shift px
  int width = 16;    // hidden units
};

struct PatchVerifierImpl : torch::nn::Module {
  explicit PatchVerifierImpl(const PatchVerifierOptions& options = {});
  // a, b: (N, C, P, P) descriptor blocks (reference, sensed), centred on the candidate. Returns
  // (N) logits: log odds of a true correspondence.
  torch::Tensor forward(const torch::Tensor& a, const torch::Tensor& b);
  // Zeroes the learned part, so that forward() is a fixed increasing function of the NCC.
  void resetResidual();

  PatchVerifierOptions options;
  torch::Tensor scale, offset;  // of the NCC term
  torch::nn::Conv2d agree1{nullptr}, agree2{nullptr};
  torch::nn::Linear hidden{nullptr}, out{nullptr};
};
TORCH_MODULE(PatchVerifier);

// The zero-mean NCC of whole blocks at zero shift, channels summed as in FftNccSearch: (N).
torch::Tensor blockNcc(const torch::Tensor& a, const torch::Tensor& b);

// Weights with their architecture; load throws mmreg::Error naming the file and what to do.
void saveVerifier(PatchVerifier& net, const std::string& path);
PatchVerifier loadVerifier(const std::string& path, const torch::Device& device);

}  // namespace mmreg::nets
