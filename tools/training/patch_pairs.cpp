#include "training/patch_pairs.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nets/template_ncc.h"

namespace mmreg::training {

namespace {

torch::Tensor stacked(const std::vector<cv::Mat>& channels) {
  const int h = channels[0].rows, w = channels[0].cols;
  auto t = torch::empty({static_cast<int64_t>(channels.size()), h, w}, torch::kFloat);
  for (size_t k = 0; k < channels.size(); ++k) {
    CV_Assert(channels[k].isContinuous() && channels[k].type() == CV_32F);
    std::memcpy(t[k].data_ptr<float>(), channels[k].ptr<float>(), sizeof(float) * h * w);
  }
  return t;
}

torch::Tensor block(const torch::Tensor& t, int x0, int y0, int side) { return t.slice(1, y0, y0 + side).slice(2, x0, x0 + side); }

}  // namespace

DescriptorPair describePair(const DenseFeatures& features, const Image& reference, const Image& sensed, Modality sensedModality) {
  return {stacked(features.computeFor(reference, Modality::Optical)), stacked(features.computeFor(sensed, sensedModality))};
}

PatchPairs samplePatchPairs(const DescriptorPair& pair, const PatchSampling& o, std::mt19937& rng) {
  const int h = static_cast<int>(pair.reference.size(1)), w = static_cast<int>(pair.reference.size(2));
  const int p = o.patch, s = o.search, reach = p / 2 + s + o.jitter;
  std::vector<torch::Tensor> as, bs;
  std::vector<float> labels;
  if (h < 2 * reach + 1 || w < 2 * reach + 1) return {};
  // Where both sides have data: every descriptor pixel non-zero (invalid pixels are all zero).
  const auto hasData = (pair.reference.abs().sum(0) > 0) & (pair.sensed.abs().sum(0) > 0);
  std::uniform_int_distribution<int> ux(reach, w - 1 - reach), uy(reach, h - 1 - reach), shift(-s, s), jit(-o.jitter, o.jitter);
  std::uniform_real_distribution<double> u(0, 1);
  for (int tries = 0; tries < 20 * o.centres && static_cast<int>(labels.size()) < 2 * o.centres; ++tries) {
    const int cx = ux(rng), cy = uy(rng);
    if (hasData.slice(0, cy - reach, cy + reach + 1).slice(1, cx - reach, cx + reach + 1).logical_not().any().item<bool>()) continue;
    const auto a = block(pair.reference, cx - p / 2, cy - p / 2, p);
    if ((a - a.mean({1, 2}, true)).pow(2).mean().item<double>() < 1e-4) continue;  // flat: no structure to match
    // The negative: the NCC's best wrong peak within the search window, or a random wrong offset.
    int dx = 0, dy = 0;
    if (u(rng) < o.hardShare) {
      const auto window = block(pair.sensed, cx - p / 2 - s, cy - p / 2 - s, p + 2 * s);
      auto ncc = mmreg::nets::templateNcc(a.unsqueeze(0), window.unsqueeze(0))[0].clone();
      ncc.slice(0, s - o.minWrong + 1, s + o.minWrong).slice(1, s - o.minWrong + 1, s + o.minWrong).fill_(-2);
      const int best = static_cast<int>(ncc.argmax().item<int64_t>());
      dx = best % (2 * s + 1) - s, dy = best / (2 * s + 1) - s;
    } else {
      do dx = shift(rng), dy = shift(rng);
      while (std::max(std::abs(dx), std::abs(dy)) < o.minWrong);
    }
    const int jx = jit(rng), jy = jit(rng);
    as.push_back(a), bs.push_back(block(pair.sensed, cx - p / 2 + jx, cy - p / 2 + jy, p)), labels.push_back(1);
    as.push_back(a), bs.push_back(block(pair.sensed, cx - p / 2 + dx, cy - p / 2 + dy, p)), labels.push_back(0);
  }
  if (labels.empty()) return {};
  return {torch::stack(as), torch::stack(bs), torch::tensor(labels)};
}

PatchPairs concatenate(const std::vector<PatchPairs>& parts) {
  std::vector<torch::Tensor> a, b, l;
  for (const auto& q : parts)
    if (q.label.defined()) a.push_back(q.a), b.push_back(q.b), l.push_back(q.label);
  if (l.empty()) return {};
  return {torch::cat(a), torch::cat(b), torch::cat(l)};
}

double fpr95(const torch::Tensor& scores, const torch::Tensor& labels) {
  const auto sc = scores.to(torch::kCPU).to(torch::kDouble), lb = labels.to(torch::kCPU);
  const auto pos = std::get<0>(sc.masked_select(lb > 0.5).sort(0, true)), neg = sc.masked_select(lb < 0.5);
  if (pos.numel() == 0 || neg.numel() == 0) return NAN;
  const int64_t k = static_cast<int64_t>(std::ceil(0.95 * pos.numel())) - 1;
  const double threshold = pos[k].item<double>();
  return (neg >= threshold).to(torch::kDouble).mean().item<double>();
}

double rocAuc(const torch::Tensor& scores, const torch::Tensor& labels) {
  const auto sc = scores.to(torch::kCPU).to(torch::kDouble), lb = labels.to(torch::kCPU);
  const auto pos = sc.masked_select(lb > 0.5), neg = sc.masked_select(lb < 0.5);
  if (pos.numel() == 0 || neg.numel() == 0) return NAN;
  // Mann-Whitney: over every positive-negative pair, 1 when the positive scores higher, 1/2 on a tie.
  const auto diff = pos.view({-1, 1}) - neg.view({1, -1});
  return ((diff > 0).to(torch::kDouble) + 0.5 * (diff == 0).to(torch::kDouble)).mean().item<double>();
}

}  // namespace mmreg::training
