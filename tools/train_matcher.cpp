// Training of the cross-fusion matcher (Li, Han & Ye 2022, sections 3.4-3.5): a pixel-aligned
// pair of the training split, one crop of each side warped by its own random homography (with
// synthetic modality changes), patches at positive and negative centres
// (mmreg::sampleMatchPairs), the matching matrix of A's patches against every B patch, and
// binary cross-entropy with the positives on its diagonal. The same code on CPU and CUDA.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "mmreg/error.h"
#include "mmreg/match_samples.h"
#include "nets/cross_fusion_net.h"
#include "training/trainer_setup.h"

namespace {

namespace F = torch::nn::functional;
using namespace mmreg::training;

struct Args : TrainerOptions {
  int crop = 256, patch = 96, positives = 16, dim = 256, layers = 4;
  double positionShift = 64;  // pixels: B's positions move by up to this much, the same for all of a batch
};

const char* kUsage =
    "    [--crop PX] [--patch PX] [--positives N] [--dim N] [--layers N] [--position-shift PX]\n"
    "Trains on the pixel-aligned pairs of the training split; logs the loss and, on a fixed validation set,\n"
    "the share of A patches whose best-scoring B patch is their true match; writes the weights with their options on every log line: FILE.pt the best so far by that\n"
    "precision, FILE.pt.last the latest.\n";

struct Batch {
  torch::Tensor patchesA, positionsA;  // (K, 1, P, P), (K, 2)
  torch::Tensor patchesB, positionsB;  // (2K, 1, P, P): K true matches, then K negatives
  torch::Tensor labels;                // (K, 2K): 1 on the diagonal of the first K columns
  Batch to(const torch::Device& d) const {
    return {patchesA.to(d), positionsA.to(d), patchesB.to(d), positionsB.to(d), labels.to(d)};
  }
};

mmreg::Homography toHomography(const torch::Tensor& h) {
  mmreg::Homography out;
  for (int i = 0; i < 9; ++i) out[i] = h.view({9})[i].item<double>();
  return out;
}

torch::Tensor patchAt(const torch::Tensor& image, mmreg::Point2 c, int p) {
  const int64_t x0 = std::lround(c.x - p / 2.0), y0 = std::lround(c.y - p / 2.0);
  return image.slice(2, y0, y0 + p).slice(3, x0, x0 + p);
}

Batch makeBatch(const std::vector<LoadedPair>& pairs, const Args& a, std::mt19937& rng, bool augment) {
  std::uniform_int_distribution<size_t> pick(0, pairs.size() - 1);
  for (;;) {
    const auto& pair = pairs[pick(rng)];
    std::uniform_int_distribution<int64_t> ux(0, pair.reference.size(3) - a.crop), uy(0, pair.reference.size(2) - a.crop);
    const int64_t x = ux(rng), y = uy(rng);
    auto ref = pair.reference.slice(2, y, y + a.crop).slice(3, x, x + a.crop).clone();
    auto sen = pair.sensed.slice(2, y, y + a.crop).slice(3, x, x + a.crop).clone();
    if (augment) ref = modalityChange(ref, rng), sen = modalityChange(sen, rng);
    // Milder warps than the detector's: whole patches must stay in frame.
    const auto ha = randomHomography(rng, a.crop, 2e-4, 0.26, 0.1, 0.08), hb = randomHomography(rng, a.crop, 2e-4, 0.26, 0.1, 0.08);
    const auto warpedA = F::grid_sample(ref, gridFor(torch::inverse(ha), a.crop).first, F::GridSampleFuncOptions().align_corners(true));
    const auto warpedB = F::grid_sample(sen, gridFor(torch::inverse(hb), a.crop).first, F::GridSampleFuncOptions().align_corners(true));
    mmreg::MatchSampleOptions so;
    so.patchSize = a.patch;
    so.positives = a.positives;
    const auto samples = mmreg::sampleMatchPairs(toHomography(ha), toHomography(hb), a.crop, a.crop, so, rng);
    const int64_t k = static_cast<int64_t>(samples.size() / 2);
    if (k < 2) continue;  // the warps left too little in frame: draw again
    std::vector<torch::Tensor> pa, pb, nb;
    std::vector<float> xa, xb, xn;
    for (const auto& s : samples) {
      if (s.positive) {
        pa.push_back(patchAt(warpedA, s.centreA, a.patch)), pb.push_back(patchAt(warpedB, s.centreB, a.patch));
        xa.insert(xa.end(), {static_cast<float>(s.centreA.x), static_cast<float>(s.centreA.y)});
        xb.insert(xb.end(), {static_cast<float>(s.centreB.x), static_cast<float>(s.centreB.y)});
      } else {
        nb.push_back(patchAt(warpedB, s.centreB, a.patch));
        xn.insert(xn.end(), {static_cast<float>(s.centreB.x), static_cast<float>(s.centreB.y)});
      }
    }
    pb.insert(pb.end(), nb.begin(), nb.end());
    xb.insert(xb.end(), xn.begin(), xn.end());
    // Choice: one random shift of all B positions, so the network learns from the layout of
    // each side and not from equal absolute positions; at inference the tiles are off by up to
    // the search margin, and a bias to equal positions would pull matches to the initial guess.
    std::uniform_real_distribution<float> shift(-a.positionShift, a.positionShift);
    const float sx = shift(rng), sy = shift(rng);
    for (size_t i = 0; i < xb.size(); i += 2) xb[i] += sx, xb[i + 1] += sy;
    const auto labels = torch::cat({torch::eye(k), torch::zeros({k, k})}, 1);
    return {torch::cat(pa), torch::tensor(xa).view({k, 2}), torch::cat(pb), torch::tensor(xb).view({2 * k, 2}), labels};
  }
}

// Binary cross-entropy over the matching matrix, the K positives weighted as much as the
// 2K^2 - K negatives together (choice: unweighted, predicting "no match" everywhere is cheap).
torch::Tensor lossOf(mmreg::nets::CrossFusionNet& net, const Batch& b) {
  const auto m = net->forward(b.patchesA, b.positionsA, b.patchesB, b.positionsB);
  const double k = static_cast<double>(b.labels.size(0)), n = static_cast<double>(b.labels.numel());
  const auto weight = b.labels * ((n - k) / k - 1) + 1;
  return (F::binary_cross_entropy(m, b.labels, F::BinaryCrossEntropyFuncOptions().weight(weight).reduction(torch::kSum))) /
         weight.sum();
}

// Share of A patches whose highest score is their true match.
double precisionAt1(mmreg::nets::CrossFusionNet& net, const std::vector<Batch>& val) {
  torch::NoGradGuard g;
  net->eval();
  double hits = 0, total = 0;
  for (const auto& b : val) {
    const auto m = net->forward(b.patchesA, b.positionsA, b.patchesB, b.positionsB);
    const auto best = std::get<1>(m.max(1)).cpu();
    for (int64_t i = 0; i < best.size(0); ++i) hits += best[i].item<int64_t>() == i;
    total += static_cast<double>(best.size(0));
  }
  net->train();
  return total > 0 ? hits / total : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "matcher.pt";
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) std::fprintf(stderr, "%s needs a value\n", k.c_str()), std::exit(2);
      return argv[++i];
    };
    if (readTrainerOption(k, next, a)) continue;
    if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--patch") a.patch = std::stoi(next());
    else if (k == "--positives") a.positives = std::stoi(next());
    else if (k == "--dim") a.dim = std::stoi(next());
    else if (k == "--layers") a.layers = std::stoi(next());
    else if (k == "--position-shift") a.positionShift = std::stod(next());
    else if (k == "--help" || k == "-h") return std::printf("mmreg_train_matcher %s\n%s", kTrainerUsage, kUsage), 0;
    else return std::fprintf(stderr, "unknown option %s\nmmreg_train_matcher %s\n%s", k.c_str(), kTrainerUsage, kUsage), 2;
  }
  if (a.crop < a.patch + 16) return std::fprintf(stderr, "mmreg_train_matcher: --crop must exceed --patch by 16 px or more\n"), 2;
  TrainingSetup setup;
  try {
    setup = setUpTraining(a, a.crop);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_matcher: %s\n", e.what()), 1;
  }
  const auto& [device, train, val] = setup;

  mmreg::nets::CrossFusionOptions o;
  o.patchSize = a.patch, o.dim = a.dim, o.layers = a.layers, o.widthMultiplier = a.width;
  mmreg::nets::CrossFusionNet net(o);
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), valRng(a.seed + 1);
  std::vector<Batch> valSet;
  for (int i = 0; i < 8; ++i) valSet.push_back(makeBatch(val, a, valRng, false).to(device));
  const Batch fixed = a.fixedBatch ? makeBatch(train, a, rng, false).to(device) : Batch{};
  const auto t0 = std::chrono::steady_clock::now();
  double running = 0, best = -1;
  for (int it = 1; it <= a.iterations; ++it) {
    const Batch b = a.fixedBatch ? fixed : makeBatch(train, a, rng, true).to(device);
    opt.zero_grad();
    const auto loss = lossOf(net, b);
    loss.backward();
    opt.step();
    running += loss.item<double>();
    if (it % a.logEvery == 0 || it == a.iterations) {
      const int n = it % a.logEvery == 0 ? a.logEvery : it % a.logEvery;
      const double p1 = precisionAt1(net, valSet);
      std::printf("iteration %d loss %.5f val_precision_at_1 %.3f elapsed %.0fs\n", it, running / n, p1,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
      running = 0;
      mmreg::nets::saveMatcher(net, a.out + ".last");
      if (p1 > best) best = p1, mmreg::nets::saveMatcher(net, a.out);
    }
  }
  std::printf("wrote %s (validation precision@1 %.3f) and %s.last\n", a.out.c_str(), best, a.out.c_str());
  return 0;
}
