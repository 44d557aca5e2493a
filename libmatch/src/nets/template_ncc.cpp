#include "nets/template_ncc.h"

#include <torch/fft.h>

namespace mmreg::nets {

namespace F = torch::nn::functional;

torch::Tensor templateNcc(const torch::Tensor& templates, const torch::Tensor& windows) {
  const int64_t n = templates.size(0), t = templates.size(2), len = windows.size(2);
  const double area = static_cast<double>(t) * t;
  const auto centred = templates - templates.mean({2, 3}, true);
  const auto tEnergy = centred.pow(2).sum({1, 2, 3}).view({n, 1, 1});
  // Correlation by FFT, as the matcher computes it (S * conj(T)); placements up to 2m never wrap.
  // (A grouped convolution gives the same numbers at several times the cost, mostly in backward.)
  const int64_t k = len - t + 1;
  const auto padded = F::pad(centred, F::PadFuncOptions({0, len - t, 0, len - t}));
  const auto spectrum = torch::fft::rfft2(windows) * torch::conj(torch::fft::rfft2(padded));
  const auto num = torch::fft::irfft2(spectrum, std::vector<int64_t>{len, len}).sum(1).slice(1, 0, k).slice(2, 0, k);
  const auto pool = F::AvgPool2dFuncOptions(t).stride(1);
  const auto sum1 = F::avg_pool2d(windows, pool) * area, sum2 = F::avg_pool2d(windows * windows, pool) * area;
  const auto wEnergy = (sum2 - sum1 * sum1 / area).sum(1);
  const auto ok = (wEnergy > 1e-9) & (tEnergy > 1e-9);
  return torch::where(ok, num / torch::sqrt((tEnergy * wEnergy).clamp_min(1e-18)), torch::zeros_like(num));
}

NccLoss nccMatchingLoss(const torch::Tensor& ncc, const torch::Tensor& truth, const NccLossOptions& o) {
  const int64_t n = ncc.size(0), k = ncc.size(1);
  const auto flat = ncc.reshape({n, k * k});
  // Bilinear target over the four neighbours of the sub-pixel truth.
  const auto tr = truth.to(torch::kFloat).clamp(0, k - 1 - 1e-4);
  const auto x0 = tr.select(1, 0).floor(), y0 = tr.select(1, 1).floor();
  const auto fx = tr.select(1, 0) - x0, fy = tr.select(1, 1) - y0;
  auto target = torch::zeros({n, k * k}, ncc.options());
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      const auto w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
      const auto idx = ((y0 + dy).clamp_max(k - 1) * k + (x0 + dx).clamp_max(k - 1)).to(torch::kLong);
      target.scatter_add_(1, idx.view({n, 1}), w.view({n, 1}).to(ncc.dtype()));
    }
  const auto ce = -(target * torch::log_softmax(flat / o.temperature, 1)).sum(1).mean();

  const auto r = torch::arange(k, ncc.options());
  const auto gx = r.view({1, 1, k}).expand({n, k, k}), gy = r.view({1, k, 1}).expand({n, k, k});
  const auto dist = torch::sqrt((gx - tr.select(1, 0).view({n, 1, 1})).pow(2) + (gy - tr.select(1, 1).view({n, 1, 1})).pow(2))
                        .reshape({n, k * k});
  const auto truePeak = (target * flat).sum(1);
  const auto farPeak = torch::where(dist > o.exclusion, flat, torch::full_like(flat, -2.0)).amax(1);
  const auto marginLoss = torch::relu(o.margin - (truePeak - farPeak)).mean();

  NccLoss out;
  out.loss = ce + o.marginWeight * marginLoss;
  const auto best = flat.argmax(1);
  out.accuracy = (dist.gather(1, best.view({n, 1})) <= 2.0).to(torch::kFloat).mean().item<double>();
  return out;
}

}  // namespace mmreg::nets
