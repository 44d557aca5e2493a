#include "nets/learned_matcher.h"

#include <cmath>

namespace mmreg::nets {

namespace {

namespace F = torch::nn::functional;

// Square patches of side p centred on the keypoints (zero outside the image): (N, 1, p, p).
torch::Tensor patchesAround(const Image& image, const std::vector<Keypoint>& keypoints, int64_t p) {
  const auto padded = F::pad(imageTensor(image), F::PadFuncOptions({p / 2, p / 2, p / 2, p / 2}));
  std::vector<torch::Tensor> out;
  for (const auto& k : keypoints) {
    // Same placement as in training: top-left at round(centre - p/2), shifted by the padding.
    const int64_t x0 = std::lround(k.pos.x - p / 2.0) + p / 2, y0 = std::lround(k.pos.y - p / 2.0) + p / 2;
    out.push_back(padded.slice(2, y0, y0 + p).slice(3, x0, x0 + p));
  }
  return torch::cat(out);
}

// Keypoint positions (N, 2), shifted by `offset` pixels on both axes.
torch::Tensor positionsOf(const std::vector<Keypoint>& keypoints, double offset) {
  std::vector<float> xy;
  for (const auto& k : keypoints) xy.insert(xy.end(), {static_cast<float>(k.pos.x + offset), static_cast<float>(k.pos.y + offset)});
  return torch::tensor(xy).view({-1, 2});
}

int keypointBudget(const Image& image) { return std::max(16, image.width * image.height / LearnedMatcher::kPixelsPerKeypoint); }

}  // namespace

LearnedMatcher::LearnedMatcher(const LearnedModelOptions& o) : device_(torchDevice(o.device)), detector_(o) {
  net_ = loadMatcher(weightsPath(o.matcherWeights, "matcher.pt", "cross-fusion matcher", "-matcher_weights", "mmreg_train_matcher"),
                     device_);
}

std::vector<TileMatch> LearnedMatcher::match(const Image& ref, const Image& sen, int margin) const {
  const auto kr = detector_.detect(ref, keypointBudget(ref));
  const auto ks = detector_.detect(sen, keypointBudget(sen));
  if (kr.size() < 2 || ks.size() < 2) return {};
  torch::NoGradGuard noGrad;
  const int64_t p = net_->options.patchSize;
  // Positions in the reference tile's frame for both sides, so the encodings agree where the
  // tiles do.
  const auto posR = positionsOf(kr, 0), posS = positionsOf(ks, -margin);
  auto m = net_->forward(patchesAround(ref, kr, p).to(device_), posR.to(device_), patchesAround(sen, ks, p).to(device_),
                         posS.to(device_))
               .to(torch::kCPU);
  // Only pairs within the search margin can be true: others may not win a mutual match.
  const double gate = margin * std::sqrt(2.0) + 2;
  const auto distance = (posR.unsqueeze(1) - posS.unsqueeze(0)).norm(2, -1);
  m = m.masked_fill(distance > gate, 0);
  const auto found = mutualMatches(m, kMinScore);
  std::vector<TileMatch> out;
  const auto a = found.accessor<float, 2>();
  for (int64_t i = 0; i < found.size(0); ++i) {
    const auto& r = kr[static_cast<size_t>(a[i][0])];
    const auto& s = ks[static_cast<size_t>(a[i][1])];
    out.push_back({r.pos, {s.pos.x - margin, s.pos.y - margin}, a[i][2]});
  }
  return out;
}

}  // namespace mmreg::nets
