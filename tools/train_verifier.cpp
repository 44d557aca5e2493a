// Training of the patch-pair verifier (issue 14, nets/patch_verifier.h): descriptor blocks of
// pixel-aligned training pairs, positives at the same place and negatives where the matcher
// could be wrong (the NCC's best peak 6-16 px off the truth, or a random offset that far), a
// binary cross-entropy. The descriptors come from the dense features the area matcher uses
// (structural, or the learned backbone, frozen), computed per crop. Validation and the saved
// checkpoint: the FPR95 on the validation pairs (1 - FPR95 is the logged metric).
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/learned_models.h"
#include "nets/patch_verifier.h"
#include "training/patch_pairs.h"
#include "training/trainer_setup.h"

namespace {

using namespace mmreg::training;

struct Args : TrainerOptions {
  int crop = 192, batch = 4, valPairs = 30;
  std::string features = "structural", featureWeights, valGroups;
  PatchSampling sampling;
  mmreg::nets::PatchVerifierOptions net;
};

const char* kUsage =
    "    [--crop PX] [--batch N] [--patch PX] [--centres N] [--hard-share F] [--features structural|learned]\n"
    "    [--feature-weights FILE.pt] [--hidden N] [--val-pairs N] [--val-groups G,...]\n"
    "Each iteration draws --batch crops of --crop px and --centres positives and as many negatives from each.\n"
    "Writes FILE.pt (the lowest validation FPR95 so far) and FILE.pt.last (with .optim and .state for --resume).\n";

mmreg::Image crop(const torch::Tensor& t, int x, int y, int side) { return toImage(t.slice(2, y, y + side).slice(3, x, x + side)); }

PatchPairs pairsFrom(const LoadedPair& p, int side, const mmreg::DenseFeatures& features, const PatchSampling& s, std::mt19937& rng) {
  const int h = static_cast<int>(p.reference.size(2)), w = static_cast<int>(p.reference.size(3));
  side = std::min({side, h, w});
  const int y = std::uniform_int_distribution<int>(0, h - side)(rng), x = std::uniform_int_distribution<int>(0, w - side)(rng);
  const auto d = describePair(features, crop(p.reference, x, y, side), crop(p.sensed, x, y, side),
                              p.sensedIsSar ? mmreg::Modality::Sar : mmreg::Modality::Optical);
  return samplePatchPairs(d, s, rng);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "verifier.pt";
  a.lr = 1e-3;
  const int parsed = readTrainerArgs(argc, argv, "mmreg_train_verifier", kUsage, a, [&](const std::string& k, const NextValue& next) {
    if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--patch") a.sampling.patch = a.net.patch = std::stoi(next());
    else if (k == "--centres") a.sampling.centres = std::stoi(next());
    else if (k == "--hard-share") a.sampling.hardShare = std::stod(next());
    else if (k == "--features") a.features = next();
    else if (k == "--feature-weights") a.featureWeights = next();
    else if (k == "--hidden") a.net.width = std::stoi(next());
    else if (k == "--val-pairs") a.valPairs = std::stoi(next());
    else if (k == "--val-groups") a.valGroups = next();
    else return false;
    return true;
  });
  if (parsed >= 0) return parsed;
  const int minSide = a.sampling.patch + 2 * (a.sampling.search + a.sampling.jitter) + 2;
  if (a.crop < minSide) return std::fprintf(stderr, "mmreg_train_verifier: --crop must be at least %d px for this --patch\n", minSide), 2;
  TrainingSetup setup;
  std::shared_ptr<const mmreg::DenseFeatures> features;
  try {
    setup = setUpTraining(a, minSide);
    mmreg::registerLearnedModels();
    mmreg::LearnedModelOptions lo;
    lo.featureWeights = a.featureWeights;
    features = mmreg::makeDenseFeatures(a.features, lo);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_verifier: %s\n", e.what()), 1;
  }
  auto& [device, train, val] = setup;
  try {
    val = validationGroups(std::move(val), a.valGroups);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_verifier: %s\n", e.what()), 2;
  }
  // Fixed validation pairs: drawn once, from crops of at most 512 px.
  std::mt19937 valRng(a.seed + 7);
  std::vector<PatchPairs> parts;
  const size_t n = std::min<size_t>(val.size(), a.valPairs);
  for (size_t i = 0; i < n; ++i) parts.push_back(pairsFrom(val[i * val.size() / n], 512, *features, a.sampling, valRng));
  const auto valSet = concatenate(parts);
  if (!valSet.label.defined()) return std::fprintf(stderr, "mmreg_train_verifier: the validation pairs gave no patch pairs\n"), 1;
  std::printf("validation patch pairs: %lld; FPR95 of the NCC of %s features: %.3f\n", static_cast<long long>(valSet.label.size(0)),
              a.features.c_str(), fpr95(mmreg::nets::blockNcc(valSet.a, valSet.b), valSet.label));
  mmreg::nets::PatchVerifier net(a.net);
  net->to(device);
  auto validate = [&] {
    torch::NoGradGuard noGrad;
    net->eval();
    const double f = fpr95(net->forward(valSet.a.to(device), valSet.b.to(device)), valSet.label);
    net->train();
    return 1 - f;
  };
  std::printf("validation FPR95 of the untrained verifier: %.3f\n", 1 - validate());
  std::fflush(stdout);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), fixedRng(a.seed);
  auto lossOf = [&] {
    auto& r = a.fixedBatch ? (fixedRng.seed(a.seed), fixedRng) : rng;
    std::vector<PatchPairs> batch;
    for (int i = 0; i < a.batch; ++i)
      batch.push_back(pairsFrom(train[std::uniform_int_distribution<size_t>(0, train.size() - 1)(r)], a.crop, *features, a.sampling, r));
    const auto b = concatenate(batch);
    if (!b.label.defined()) return torch::zeros({}, torch::requires_grad());
    return torch::binary_cross_entropy_with_logits(net->forward(b.a.to(device), b.b.to(device)), b.label.to(device));
  };
  try {
    runTraining(a, opt,
                {lossOf, validate, [&](const std::string& path) { mmreg::nets::saveVerifier(net, path); }, "val_1_minus_fpr95",
                 "validation 1 - FPR95",
                 [&](const std::string& path) { copyParameters(*mmreg::nets::loadVerifier(path, device), *net); }});
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_verifier: %s\n", e.what()), 1;
  }
  return 0;
}
