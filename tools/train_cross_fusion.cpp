// Training of the cross-fusion head (issue 14, nets/cross_fusion_head.h) on the learned
// backbone's descriptors, frozen: crops of pixel-aligned training pairs, the sensed crop warped
// by a random homography, keypoints on both sides (training/keypoint_sets.h), and the paper's
// binary cross-entropy (section 3.4): every true pair, each reference keypoint's hardest wrong
// candidate, and a quarter weight on all wrong candidates. Validation and the saved checkpoint:
// the NN mAP (1..10 px) of each reference keypoint's best detected sensed candidate on fixed
// crops of the validation pairs, the benchmark's measure.
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/metrics.h"
#include "nets/cross_fusion_head.h"
#include "nets/learned_features.h"
#include "training/keypoint_sets.h"
#include "training/trainer_setup.h"

namespace {

using namespace mmreg::training;

struct Args : TrainerOptions {
  int batch = 4, valPairs = 30;
  double allNegatives = 0.25;
  std::string detector = "corner", featureWeights, valGroups;
  KeypointSampling sampling;
  mmreg::nets::CrossFusionHeadOptions net;
};

const char* kUsage =
    "    [--crop PX] [--batch N] [--detector NAME] [--feature-weights FILE.pt] [--dim N] [--layers N] [--block PX] [--cells N]\n"
    "    [--position-shift PX] [--truth-share F] [--all-negatives W] [--sensed-changes P] [--val-pairs N] [--val-groups G,...]\n"
    "Writes FILE.pt (the best validation NN mAP so far) and FILE.pt.last (with .optim and .state for --resume).\n";

// The loss of one crop: matches to 1, each row's hardest candidate that is not one to 0, and all
// candidates that are not to 0 at a lower weight.
torch::Tensor cropLoss(const torch::Tensor& logits, const torch::Tensor& labels, double allWeight) {
  const auto bce = [](const torch::Tensor& x, double target) {
    return torch::binary_cross_entropy_with_logits(x, torch::full_like(x, target));
  };
  auto loss = torch::zeros({}, logits.options());
  const auto positive = labels > 0.5, negative = labels.abs() < 0.5;
  if (positive.any().item<bool>()) loss = loss + bce(logits.masked_select(positive), 1);
  const auto rows = negative.any(1);
  if (rows.any().item<bool>()) {
    const auto hardest = std::get<0>(logits.masked_fill(negative.logical_not(), -1e4).max(1));
    loss = loss + bce(hardest.masked_select(rows), 0) + allWeight * bce(logits.masked_select(negative), 0);
  }
  return loss;
}

// Each reference keypoint's best detected sensed candidate: its logit and its distance to the truth.
void nearestCandidates(const torch::Tensor& logits, const KeypointSets& s, std::vector<double>& scores, std::vector<double>& errors) {
  const auto detected = logits.slice(1, 0, s.detectedB), labels = s.labels.slice(1, 0, s.detectedB);
  if (detected.size(1) == 0) return;
  const auto [best, index] = detected.masked_fill(labels < -0.5, -1e4).max(1);
  const auto distance = (s.truthInB - s.pointsB.index_select(0, index)).norm(2, 1);
  const auto candidate = labels.gather(1, index.unsqueeze(1)).squeeze(1) > -0.5;
  for (int64_t i = 0; i < best.size(0); ++i)
    if (candidate[i].item<bool>()) scores.push_back(best[i].item<double>()), errors.push_back(distance[i].item<double>());
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "cross_fusion_head.pt";
  a.lr = 1e-3;
  const int parsed = readTrainerArgs(argc, argv, "mmreg_train_cross_fusion", kUsage, a, [&](const std::string& k, const NextValue& next) {
    if (k == "--crop") a.sampling.crop = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--detector") a.detector = next();
    else if (k == "--feature-weights") a.featureWeights = next();
    else if (k == "--dim") a.net.dim = std::stoi(next());
    else if (k == "--layers") a.net.layers = std::stoi(next());
    else if (k == "--block") a.net.block = std::stoi(next());
    else if (k == "--cells") a.net.cells = std::stoi(next());
    else if (k == "--position-shift") a.sampling.positionShift = std::stod(next());
    else if (k == "--truth-share") a.sampling.truthShare = std::stod(next());
    else if (k == "--all-negatives") a.allNegatives = std::stod(next());
    else if (k == "--sensed-changes") a.sampling.sensedChanges = std::stod(next());
    else if (k == "--val-pairs") a.valPairs = std::stoi(next());
    else if (k == "--val-groups") a.valGroups = next();
    else return false;
    return true;
  });
  if (parsed >= 0) return parsed;
  TrainingSetup setup;
  std::shared_ptr<const mmreg::nets::LearnedFeatures> features;
  std::unique_ptr<mmreg::Detector> detector;
  try {
    setup = setUpTraining(a, 96);
    mmreg::LearnedModelOptions lo;
    lo.featureWeights = a.featureWeights;
    mmreg::registerLearnedModels();
    features = std::make_shared<mmreg::nets::LearnedFeatures>(lo);
    detector = mmreg::makeDetector(a.detector, lo);
    setup.val = validationGroups(std::move(setup.val), a.valGroups);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_cross_fusion: %s\n", e.what()), 1;
  }
  auto& [device, train, val] = setup;
  // Fixed validation crops of up to 256 px, drawn once.
  std::mt19937 valRng(a.seed + 7);
  KeypointSampling valSampling = a.sampling;
  valSampling.crop = 256;
  valSampling.sensedChanges = 0;  // real pairs as they are
  std::vector<KeypointSets> valSets;
  const size_t n = std::min<size_t>(val.size(), a.valPairs);
  for (size_t i = 0; i < n; ++i) valSets.push_back(sampleKeypointSets(val[i * val.size() / n], *features, *detector, a.net, valSampling, valRng));
  mmreg::nets::CrossFusionHead net(a.net);
  net->to(device);
  auto validate = [&] {
    torch::NoGradGuard noGrad;
    net->eval();
    std::vector<double> scores, errors;
    for (const auto& s : valSets)
      nearestCandidates(net->forward(s.blocksA.to(device), s.positionsA.to(device), s.blocksB.to(device), s.positionsB.to(device)).cpu(), s,
                        scores, errors);
    net->train();
    return mmreg::metrics::nnMap(scores, errors);
  };
  std::printf("validation crops: %zu; NN mAP of the NCC of the descriptor blocks (the untrained head): %.3f\n", valSets.size(), validate());
  std::fflush(stdout);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), fixedRng(a.seed);
  auto lossOf = [&] {
    auto& r = a.fixedBatch ? (fixedRng.seed(a.seed), fixedRng) : rng;
    auto total = torch::zeros({}, device);
    for (int i = 0; i < a.batch; ++i) {
      const auto s = sampleKeypointSets(train[std::uniform_int_distribution<size_t>(0, train.size() - 1)(r)], *features, *detector, a.net,
                                        a.sampling, r);
      const auto logits = net->forward(s.blocksA.to(device), s.positionsA.to(device), s.blocksB.to(device), s.positionsB.to(device));
      total = total + cropLoss(logits, s.labels.to(device), a.allNegatives);
    }
    return total / a.batch;
  };
  try {
    runTraining(a, opt,
                {lossOf, validate, [&](const std::string& path) { mmreg::nets::saveCrossFusionHead(net, path); }, "val_nn_map",
                 "validation NN mAP",
                 [&](const std::string& path) { copyParameters(*mmreg::nets::loadCrossFusionHead(path, device), *net); }});
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_cross_fusion: %s\n", e.what()), 1;
  }
  return 0;
}
