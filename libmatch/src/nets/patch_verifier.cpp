#include "nets/patch_verifier.h"

#include <torch/fft.h>

#include "mmreg/error.h"
#include "nets/architecture_archive.h"
#include "nets/template_ncc.h"

namespace mmreg::nets {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

int surfaceSide(const PatchVerifierOptions& o) { return 2 * o.shift + 1; }

// The phase-correlation surface of the pair within +-shift of zero: the cross-power spectrum
// summed over channels, whitened, transformed back. (N, 2 shift + 1, 2 shift + 1).
torch::Tensor phaseSurface(const torch::Tensor& a, const torch::Tensor& b, int shift) {
  const auto ca = a - a.mean({2, 3}, true), cb = b - b.mean({2, 3}, true);
  const auto cross = (torch::fft::fft2(cb) * torch::conj(torch::fft::fft2(ca))).sum(1);
  const auto whitened = cross / (cross.abs() + 1e-6);
  const auto surface = torch::fft::fftshift(torch::real(torch::fft::ifft2(whitened)), std::vector<int64_t>{1, 2});
  const int64_t c = a.size(2) / 2;
  return surface.slice(1, c - shift, c + shift + 1).slice(2, c - shift, c + shift + 1);
}

}  // namespace

torch::Tensor blockNcc(const torch::Tensor& a, const torch::Tensor& b) { return templateNcc(a, b).view({a.size(0)}); }

PatchVerifierImpl::PatchVerifierImpl(const PatchVerifierOptions& o) : options(o) {
  if (o.patch < 2 * o.shift + 8) throw Error("patch verifier: the block must exceed twice the shift by 8 px or more");
  scale = register_parameter("scale", torch::full({1}, 10.0));
  offset = register_parameter("offset", torch::full({1}, 0.3));
  agree1 = register_module("agree1", nn::Conv2d(nn::Conv2dOptions(1, 8, 3).padding(1)));
  agree2 = register_module("agree2", nn::Conv2d(nn::Conv2dOptions(8, o.width, 3).padding(1)));
  const int side = surfaceSide(o);
  hidden = register_module("hidden", nn::Linear(2 * side * side + 2 * o.width + 1, o.width));
  out = register_module("out", nn::Linear(o.width, 1));
  resetResidual();
}

void PatchVerifierImpl::resetResidual() {
  torch::NoGradGuard noGrad;
  out->weight.zero_();
  out->bias.zero_();
}

torch::Tensor PatchVerifierImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  const int64_t n = a.size(0), p = a.size(2), s = options.shift;
  const auto ncc0 = blockNcc(a, b);
  // Spatial: the reference block's centre over +-shift of the sensed block.
  const auto centre = a.slice(2, s, p - s).slice(3, s, p - s);
  const auto nccSurface = templateNcc(centre, b).reshape({n, -1});
  // Spatial: where the descriptors agree pixel by pixel (unit vectors: a cosine), pooled.
  auto agreement = (a * b).sum(1, true);
  agreement = F::avg_pool2d(torch::relu(agree1->forward(agreement)), F::AvgPool2dFuncOptions(2));
  agreement = torch::relu(agree2->forward(agreement));
  const auto pooled = torch::cat({agreement.mean({2, 3}), agreement.amax({2, 3})}, 1);
  // Frequency: the phase-correlation surface.
  const auto phase = phaseSurface(a, b, static_cast<int>(s)).reshape({n, -1});
  const auto x = torch::cat({nccSurface, phase, pooled, ncc0.view({n, 1})}, 1);
  return scale * (ncc0 - offset) + out->forward(torch::relu(hidden->forward(x))).view({n});
}

void saveVerifier(PatchVerifier& net, const std::string& path) {
  const auto& o = net->options;
  saveWithArchitecture(*net, {o.patch, o.channels, o.shift, o.width}, path);
}

PatchVerifier loadVerifier(const std::string& path, const torch::Device& device) {
  return loadWithArchitecture<PatchVerifier>(
      path, device, "patch verifier", "pass the .pt file that mmreg_train_verifier wrote, or the shipped models/verifier.pt",
      [](const std::vector<int64_t>& v) {
        PatchVerifierOptions o;
        if (v.size() != 4) throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)}, "not a patch verifier's architecture");
        o.patch = static_cast<int>(v[0]), o.channels = static_cast<int>(v[1]), o.shift = static_cast<int>(v[2]), o.width = static_cast<int>(v[3]);
        return PatchVerifier(o);
      });
}

}  // namespace mmreg::nets
