#include "training/keypoint_sets.h"

#include <algorithm>

namespace mmreg::training {

namespace F = torch::nn::functional;

namespace {

torch::Tensor positionsOf(const std::vector<Keypoint>& keypoints) {
  std::vector<float> xy;
  for (const auto& k : keypoints) xy.insert(xy.end(), {static_cast<float>(k.pos.x), static_cast<float>(k.pos.y)});
  return torch::tensor(xy, torch::kFloat).view({-1, 2});
}

// Points (N, 2) in pixel-corner coordinates through h, which works in pixel-index coordinates.
torch::Tensor mapped(const torch::Tensor& h, const torch::Tensor& points) {
  const auto p = torch::cat({points.to(torch::kDouble) - 0.5, torch::ones({points.size(0), 1}, torch::kDouble)}, 1).matmul(h.t());
  return (p.slice(1, 0, 2) / p.slice(1, 2, 3) + 0.5).to(torch::kFloat);
}

}  // namespace

KeypointSets sampleKeypointSets(const LoadedPair& pair, const nets::LearnedFeatures& features, const Detector& detector,
                                const nets::CrossFusionHeadOptions& head, const KeypointSampling& o, std::mt19937& rng) {
  const int h = static_cast<int>(pair.reference.size(2)), w = static_cast<int>(pair.reference.size(3));
  const int side = std::min({o.crop, h, w});
  const int y = std::uniform_int_distribution<int>(0, h - side)(rng), x = std::uniform_int_distribution<int>(0, w - side)(rng);
  auto cut = [&](const torch::Tensor& t) { return t.slice(2, y, y + side).slice(3, x, x + side).clone(); };
  const auto a = cut(pair.reference), b = cut(pair.sensed);
  // warped(q) = b(hom(q)): a point u of the reference crop lies at hom^-1(u) in the warped one.
  const auto hom = randomHomography(rng, side, 0, o.maxRotation, o.maxScale, o.maxShift);
  const auto [grid, inside] = gridFor(hom, side);
  auto warped = F::grid_sample(b, grid, F::GridSampleFuncOptions().align_corners(true));
  if (std::uniform_real_distribution<double>(0, 1)(rng) < o.sensedChanges) warped = modalityChange(warped, rng);
  const Image imageA = toImage(a), imageB = toImage(warped, inside);
  const int budget = std::max(8, side * side / 1024);
  const auto ka = detector.detect(imageA, budget), kb = detector.detect(imageB, o.density * budget);

  KeypointSets s;
  s.positionsA = positionsOf(ka);
  s.truthInB = mapped(hom.inverse(), s.positionsA);
  // Sensed tokens: the detected keypoints, then some reference keypoints' true places.
  std::vector<torch::Tensor> points{positionsOf(kb)};
  s.detectedB = points[0].size(0);
  std::uniform_real_distribution<float> u(0, 1), jitter(-o.jitter, o.jitter);
  const auto t = s.truthInB.accessor<float, 2>();
  for (int64_t i = 0; i < s.truthInB.size(0); ++i) {
    const bool in = t[i][0] >= 1 && t[i][1] >= 1 && t[i][0] <= side - 1 && t[i][1] <= side - 1;
    if (in && u(rng) < o.truthShare) points.push_back(torch::tensor({t[i][0] + jitter(rng), t[i][1] + jitter(rng)}).view({1, 2}));
  }
  s.pointsB = torch::cat(points, 0);
  std::uniform_real_distribution<float> shift(-o.positionShift, o.positionShift);
  s.positionsB = s.pointsB + torch::tensor({shift(rng), shift(rng)}).view({1, 2});

  const auto distance = (s.truthInB.unsqueeze(1) - s.pointsB.unsqueeze(0)).norm(2, -1);
  s.labels = torch::full(distance.sizes(), -1.0f);
  s.labels.masked_fill_(distance <= o.gate, 0.0f);
  s.labels.masked_fill_((distance > o.positive) & (distance <= o.ignore), -1.0f);
  s.labels.masked_fill_(distance <= o.positive, 1.0f);

  torch::NoGradGuard noGrad;
  const auto da = features.describe(imageA, Modality::Optical).cpu();
  const auto db = features.describe(imageB, pair.sensedIsSar ? Modality::Sar : Modality::Optical).cpu();
  s.blocksA = nets::descriptorBlocks(da, s.positionsA, head.block, head.cells);
  s.blocksB = nets::descriptorBlocks(db, s.pointsB, head.block, head.cells);
  return s;
}

}  // namespace mmreg::training
