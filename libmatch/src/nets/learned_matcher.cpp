#include "nets/learned_matcher.h"

#include <cmath>

namespace mmreg::nets {

namespace {

// Keypoint positions (N, 2), shifted by `offset` pixels on both axes.
torch::Tensor positionsOf(const std::vector<Keypoint>& keypoints, double offset) {
  std::vector<float> xy;
  for (const auto& k : keypoints) xy.insert(xy.end(), {static_cast<float>(k.pos.x + offset), static_cast<float>(k.pos.y + offset)});
  return torch::tensor(xy).view({-1, 2});
}

int keypointBudget(const Image& image, int density) {
  return std::max(16, density * image.width * image.height / LearnedMatcher::kPixelsPerKeypoint);
}

}  // namespace

LearnedMatcher::LearnedMatcher(const LearnedModelOptions& o) : device_(torchDevice(o.device)), detector_(o) {
  net_ = loadMatcher(weightsPath(o.matcherWeights, "matcher.pt", "cross-fusion matcher", "-matcher_weights", "mmreg_train_matcher"),
                     device_);
}

std::vector<TileMatch> LearnedMatcher::match(const Image& ref, const Image& sen, int margin) const {
  const auto kr = detector_.detect(ref, keypointBudget(ref, 1));
  const auto ks = detector_.detect(sen, keypointBudget(sen, kSensedDensity));
  if (kr.size() < 2 || ks.size() < 2) return {};
  torch::NoGradGuard noGrad;
  const int64_t p = net_->options.patchSize;
  // Positions in the reference tile's frame for both sides, so the encodings agree where the
  // tiles do.
  const auto posR = positionsOf(kr, 0), posS = positionsOf(ks, -margin);
  const auto patchesR = patchesAt(imageTensor(ref), posR, p), patchesS = patchesAt(imageTensor(sen), positionsOf(ks, 0), p);
  // Only pairs within the search margin can be true: the others are not scored (score 0).
  const double gate = margin * std::sqrt(2.0) + 2;
  const auto candidates = (posR.unsqueeze(1) - posS.unsqueeze(0)).norm(2, -1) <= gate;
  const auto m = net_->forward(patchesR.to(device_), posR.to(device_), patchesS.to(device_), posS.to(device_), candidates.to(device_))
                     .to(torch::kCPU);
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
