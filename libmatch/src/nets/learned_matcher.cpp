#include "nets/learned_matcher.h"

#include <cmath>

#include "features/corner_detector.h"
#include "nets/torch_support.h"

namespace mmreg::nets {

namespace {

// Keypoint positions (N, 2), shifted by `offset` pixels on both axes.
torch::Tensor positionsOf(const std::vector<Keypoint>& keypoints, double offset) {
  std::vector<float> xy;
  for (const auto& k : keypoints) xy.insert(xy.end(), {static_cast<float>(k.pos.x + offset), static_cast<float>(k.pos.y + offset)});
  return torch::tensor(xy, torch::kFloat).view({-1, 2});
}

int keypointBudget(const Image& image, int density) {
  return std::max(16, density * image.width * image.height / LearnedMatcher::kPixelsPerKeypoint);
}

std::shared_ptr<const Detector> orCorners(std::shared_ptr<const Detector> d) {
  return d ? std::move(d) : std::make_shared<CornerDetector>();
}

// Every step-th pixel of the image that is valid, as keypoints.
std::vector<Keypoint> gridPoints(const Image& image, int step) {
  std::vector<Keypoint> out;
  for (int y = step / 2; y < image.height; y += step)
    for (int x = step / 2; x < image.width; x += step)
      if (image.valid.empty() || image.valid[static_cast<size_t>(y) * image.width + x]) out.push_back({{x + 0.5, y + 0.5}, 1.f});
  return out;
}

}  // namespace

LearnedMatcher::LearnedMatcher(const LearnedModelOptions& o, std::shared_ptr<const Detector> keypoints, int sensedGridStep)
    : features_(std::make_shared<LearnedFeatures>(o)), keypoints_(orCorners(std::move(keypoints))), sensedGridStep_(sensedGridStep) {
  head_ = loadCrossFusionHead(
      weightsPath(o.matcherWeights, "cross_fusion_head.pt", "cross-fusion head", "-matcher_weights", "mmreg_train_cross_fusion"),
      torchDevice(o.device));
}

LearnedMatcher::LearnedMatcher(std::shared_ptr<const LearnedFeatures> features, CrossFusionHead head, std::shared_ptr<const Detector> keypoints)
    : features_(std::move(features)), head_(std::move(head)), keypoints_(orCorners(std::move(keypoints))) {
  head_->eval();
}

std::vector<TileMatch> LearnedMatcher::match(const Image& ref, const Image& sen, int margin) const {
  const auto kr = keypoints_->detect(ref, keypointBudget(ref, 1));
  const auto ks = sensedGridStep_ > 0 ? gridPoints(sen, sensedGridStep_) : keypoints_->detect(sen, keypointBudget(sen, kSensedDensity));
  if (kr.size() < 2 || ks.size() < 2) return {};
  torch::NoGradGuard noGrad;
  const auto& o = head_->options;
  const auto device = head_->scale.device();
  const auto blocksR = descriptorBlocks(features_->describe(ref, Modality::Optical).to(device), positionsOf(kr, 0), o.block, o.cells);
  const auto blocksS = descriptorBlocks(features_->describe(sen, Modality::Optical).to(device), positionsOf(ks, 0), o.block, o.cells);
  // Positions in the reference tile's frame for both sides, so the encodings agree where the
  // tiles do. Only pairs within the search margin can be true: the others are not candidates.
  const auto posR = positionsOf(kr, 0), posS = positionsOf(ks, -margin);
  const double gate = margin * std::sqrt(2.0) + 2;
  const auto candidates = (posR.unsqueeze(1) - posS.unsqueeze(0)).norm(2, -1) <= gate;
  const auto probability = torch::sigmoid(head_->forward(blocksR, posR.to(device), blocksS, posS.to(device), candidates.to(device)));
  const auto found = mutualMatches(probability, kMinScore);
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
