// Training of the cross-fusion matcher (Li, Han & Ye 2022, sections 3.4-3.5): a pixel-aligned
// pair of the training split, one crop of each side warped by its own random homography (with
// synthetic modality changes), patches at the centres of both sides, the matching matrix of A's
// patches against every B patch, and balanced binary cross-entropy (plus, with --encoder-loss,
// InfoNCE on the patch encoder's outputs; with --same-source-share, some B crops come from A's
// own image). Centres (--centres):
// "detector" (default) takes the learned detector's keypoints of each warped crop, as the
// pipeline does, a B keypoint being A's match when it lies within --positive-jitter px of A's
// true position (the detector keeps to 8 px cells, so exact repeats are rare); "samples" takes
// the paper's positives and hard/easy negatives (mmreg::sampleMatchPairs). The same code on CPU
// and CUDA.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "mmreg/error.h"
#include "mmreg/match_samples.h"
#include "mmreg/homography.h"
#include "nets/cross_fusion_net.h"
#include "nets/learned_detector.h"
#include "nets/learned_matcher.h"
#include "training/trainer_setup.h"

namespace {

namespace F = torch::nn::functional;
using namespace mmreg::training;

struct Args : TrainerOptions {
  int crop = 256, patch = 96, positives = 16, dim = 256, layers = 4;
  double positionShift = 64;  // pixels: B's positions move by up to this much, the same for all of a batch
  int positiveJitter = 4;     // pixels: a positive B patch is off its true centre by up to this much on each axis
  double encoderLoss = 0;      // weight of the InfoNCE loss on the encoder's outputs
  double sameSourceShare = 0;  // share of batches whose B side is A's own (optical) crop, through its own modality change
  std::string centres = "detector", detectorWeights, init;
  int positional = -1;  // 1: add the positional encoding, 0: not; -1: the paper's (on), or --init's
  int layout = -1;      // 1: flatten the encoder's 6 x 6 map, 0: average it; -1: on, or --init's
  int standardize = -1;  // 1: scale each patch to zero mean, unit variance; 0: not; -1: on, or --init's
};

const char* kUsage =
    "    [--crop PX] [--patch PX] [--positives N] [--dim N] [--layers N] [--position-shift PX]\n"
    "    [--positive-jitter PX] [--centres detector|samples] [--detector-weights FILE.pt] [--init FILE.pt]\n"
    "    [--positional on|off] [--layout on|off] [--standardize on|off] [--same-source-share P]\n"
    "    [--encoder-loss W]\n"
    "--layout or --standardize different from --init's rebuilds the network and keeps the tensors whose shapes agree.\n"
    "--iterations 0 with --init rewrites that file in the current format (16-bit weights) to --out.\n"
    "Trains on the pixel-aligned pairs of the training split; logs the loss and, on a fixed validation set,\n"
    "the share of A patches whose best-scoring B patch is their true match; writes the weights with their options on every log line: FILE.pt the best so far by that\n"
    "precision, FILE.pt.last the latest.\n";

struct Batch {
  torch::Tensor patchesA, positionsA;  // (K, 1, P, P), (K, 2)
  torch::Tensor patchesB, positionsB;  // (M, 1, P, P)
  torch::Tensor labels;                // (K, M): 1 where the B patch is the A patch's match
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

// Choice: one random shift of all B positions, so the network learns from the layout of each
// side and not from equal absolute positions; at inference the tiles are off by up to the
// search margin, and a bias to equal positions would pull matches to the initial guess.
void shiftPositions(torch::Tensor& positions, const Args& a, std::mt19937& rng) {
  std::uniform_real_distribution<float> shift(-a.positionShift, a.positionShift);
  positions = positions + torch::tensor({shift(rng), shift(rng)}).view({1, 2});
}

// The detector's keypoints of both warped crops (pixel-corner coordinates), A's at one per
// 32 x 32 px and B's denser, as LearnedMatcher takes them; labels from the two warps.
std::optional<Batch> keypointBatch(const torch::Tensor& warpedA, const torch::Tensor& validA, const torch::Tensor& warpedB,
                                   const torch::Tensor& validB, const torch::Tensor& ha, const torch::Tensor& hb,
                                   mmreg::nets::DetectionNet& detector, const Args& a, std::mt19937& rng) {
  using mmreg::nets::LearnedMatcher;
  const int nA = a.crop * a.crop / LearnedMatcher::kPixelsPerKeypoint, nB = nA * LearnedMatcher::kSensedDensity;
  const auto device = detector->parameters().front().device();
  auto keypoints = [&](const torch::Tensor& image, const torch::Tensor& valid, int n) {
    torch::NoGradGuard g;
    const auto score = (detector->forward(image.to(device)).score * valid.to(device)).cpu();
    return mmreg::nets::relocateToCorners(image, mmreg::nets::selectKeypoints(score, 1e-6, 4, n), 4, valid).slice(1, 0, 2) + 0.5;
  };
  const auto ka = keypoints(warpedA, validA, nA), kb = keypoints(warpedB, validB, nB);
  if (ka.size(0) < 2 || kb.size(0) < 2) return std::nullopt;
  // A's crop pixel x shows the input at ha^-1 x; B's at hb^-1 x (pixel-index coordinates).
  const auto aToB = mmreg::multiply(toHomography(hb), mmreg::inverse(toHomography(ha)));
  auto labels = torch::zeros({ka.size(0), kb.size(0)});
  const auto pa = ka.accessor<float, 2>(), pb = kb.accessor<float, 2>();
  int positives = 0;
  for (int64_t i = 0; i < ka.size(0); ++i) {
    const auto t = mmreg::applyH(aToB, {pa[i][0] - 0.5, pa[i][1] - 0.5});
    int64_t best = -1;
    double bestD = a.positiveJitter + 0.5;
    for (int64_t j = 0; j < kb.size(0); ++j) {
      const double d = std::max(std::abs(pb[j][0] - 0.5 - t.x), std::abs(pb[j][1] - 0.5 - t.y));
      if (d <= bestD) bestD = d, best = j;
    }
    if (best >= 0) labels[i][best] = 1, ++positives;
  }
  if (positives < 2) return std::nullopt;
  auto positionsB = kb.clone();
  shiftPositions(positionsB, a, rng);
  return Batch{mmreg::nets::patchesAt(warpedA, ka, a.patch), ka, mmreg::nets::patchesAt(warpedB, kb, a.patch), positionsB, labels};
}

Batch makeBatch(const std::vector<LoadedPair>& pairs, const Args& a, std::mt19937& rng, bool augment,
                mmreg::nets::DetectionNet* detector) {
  std::uniform_int_distribution<size_t> pick(0, pairs.size() - 1);
  for (;;) {
    const auto& pair = pairs[pick(rng)];
    std::uniform_int_distribution<int64_t> ux(0, pair.reference.size(3) - a.crop), uy(0, pair.reference.size(2) - a.crop);
    const int64_t x = ux(rng), y = uy(rng);
    auto ref = pair.reference.slice(2, y, y + a.crop).slice(3, x, x + a.crop).clone();
    // Choice (after MIFNet: modality invariance learned from one modality): some B crops are A's
    // own image, told apart from A only by the synthetic modality change and the warp, so the
    // network learns to match content before it must see through SAR.
    // (No draw when the share is 0, so earlier commands replay the same batches.)
    const bool sameSource = augment && a.sameSourceShare > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < a.sameSourceShare;
    const auto& senSource = sameSource ? pair.reference : pair.sensed;
    auto sen = senSource.slice(2, y, y + a.crop).slice(3, x, x + a.crop).clone();
    if (augment) ref = modalityChange(ref, rng), sen = modalityChange(sen, rng);
    // Milder warps than the detector's: whole patches must stay in frame.
    const auto ha = randomHomography(rng, a.crop, 2e-4, 0.26, 0.1, 0.08), hb = randomHomography(rng, a.crop, 2e-4, 0.26, 0.1, 0.08);
    const auto [gridA, validA] = gridFor(torch::inverse(ha), a.crop);
    const auto [gridB, validB] = gridFor(torch::inverse(hb), a.crop);
    const auto warpedA = F::grid_sample(ref, gridA, F::GridSampleFuncOptions().align_corners(true));
    const auto warpedB = F::grid_sample(sen, gridB, F::GridSampleFuncOptions().align_corners(true));
    if (detector) {
      if (auto b = keypointBatch(warpedA, validA, warpedB, validB, ha, hb, *detector, a, rng)) return *b;
      continue;  // too few keypoints or matches in this draw
    }
    mmreg::MatchSampleOptions so;
    so.patchSize = a.patch;
    so.positives = a.positives;
    const auto samples = mmreg::sampleMatchPairs(toHomography(ha), toHomography(hb), a.crop, a.crop, so, rng);
    const int64_t k = static_cast<int64_t>(samples.size() / 2);
    if (k < 2) continue;  // the warps left too little in frame: draw again
    std::vector<torch::Tensor> pa, pb, nb;
    std::vector<float> xa, xb, xn;
    // Choice: a positive's B centre is off by a few pixels, as at inference, where keypoints of
    // the two tiles rarely fall on the same ground point (the detector's keypoints keep to its
    // 8 px cells); hard negatives start at 8 px.
    std::uniform_int_distribution<int> jitter(-a.positiveJitter, a.positiveJitter);
    const double lo = a.patch / 2.0, hi = a.crop - a.patch / 2.0;
    for (const auto& s : samples) {
      if (s.positive) {
        const mmreg::Point2 cb{std::clamp(s.centreB.x + jitter(rng), lo, hi), std::clamp(s.centreB.y + jitter(rng), lo, hi)};
        pa.push_back(patchAt(warpedA, s.centreA, a.patch)), pb.push_back(patchAt(warpedB, cb, a.patch));
        xa.insert(xa.end(), {static_cast<float>(s.centreA.x), static_cast<float>(s.centreA.y)});
        xb.insert(xb.end(), {static_cast<float>(cb.x), static_cast<float>(cb.y)});
      } else {
        nb.push_back(patchAt(warpedB, s.centreB, a.patch));
        xn.insert(xn.end(), {static_cast<float>(s.centreB.x), static_cast<float>(s.centreB.y)});
      }
    }
    pb.insert(pb.end(), nb.begin(), nb.end());
    xb.insert(xb.end(), xn.begin(), xn.end());
    auto positionsB = torch::tensor(xb).view({2 * k, 2});
    shiftPositions(positionsB, a, rng);
    const auto labels = torch::cat({torch::eye(k), torch::zeros({k, k})}, 1);  // K true matches, then K negatives
    return {torch::cat(pa), torch::tensor(xa).view({k, 2}), torch::cat(pb), positionsB, labels};
  }
}

// A network with options `o`, taking over those of `net`'s tensors whose shapes agree.
mmreg::nets::CrossFusionNet rebuilt(mmreg::nets::CrossFusionNet& net, const mmreg::nets::CrossFusionOptions& o) {
  mmreg::nets::CrossFusionNet out(o);
  out->to(net->parameters().front().device());
  torch::NoGradGuard g;
  const auto from = net->named_parameters(), fromBuffers = net->named_buffers();
  int kept = 0, fresh = 0;
  for (auto& t : out->named_parameters()) {
    const auto* s = from.find(t.key());
    if (s && s->sizes() == t.value().sizes()) t.value().copy_(*s), ++kept;
    else ++fresh;
  }
  for (auto& t : out->named_buffers())
    if (const auto* s = fromBuffers.find(t.key()); s && s->sizes() == t.value().sizes()) t.value().copy_(*s);
  std::printf("rebuilt the --init network (layout %s, standardize %s): %d tensors taken over, %d start afresh\n",
              o.keepLayout ? "on" : "off", o.standardizePatches ? "on" : "off", kept, fresh);
  return out;
}

// Binary cross-entropy over the matching matrix, the positives weighted as much as all the
// negatives together (choice: unweighted, predicting "no match" everywhere is cheap); plus,
// weighted by --encoder-loss, an InfoNCE loss on the patch encoder's outputs (choice, not in
// the paper: measured, the matrix loss alone left the encoder's outputs of different patches
// at cosine 0.99, so the network told keypoints apart by position only; a direct loss on the
// encoder, as HardNet and MIFNet train descriptors, gives it a signal of its own).
torch::Tensor lossOf(mmreg::nets::CrossFusionNet& net, const Batch& b, double encoderWeight) {
  const auto [ea, eb] = net->encode(b.patchesA, b.patchesB);
  const auto [da, db] = net->fuse(ea, b.positionsA, eb, b.positionsB);
  const auto m = net->score(da, db);
  const double k = b.labels.sum().item<double>(), n = static_cast<double>(b.labels.numel());
  const auto weight = b.labels * ((n - k) / k - 1) + 1;
  auto loss = F::binary_cross_entropy(m, b.labels, F::BinaryCrossEntropyFuncOptions().weight(weight).reduction(torch::kSum)) /
              weight.sum();
  if (encoderWeight <= 0) return loss;
  const auto rows = b.labels.sum(1) > 0;
  const auto logits = F::normalize(ea, F::NormalizeFuncOptions().dim(1)).matmul(F::normalize(eb, F::NormalizeFuncOptions().dim(1)).t()) / 0.1;
  return loss + encoderWeight * F::cross_entropy(logits.index({rows}), b.labels.index({rows}).argmax(1));
}

// Share of the A patches that have a match whose highest score is that match.
double precisionAt1(mmreg::nets::CrossFusionNet& net, const std::vector<Batch>& val) {
  torch::NoGradGuard g;
  net->eval();
  double hits = 0, total = 0;
  for (const auto& b : val) {
    const auto m = net->forward(b.patchesA, b.positionsA, b.patchesB, b.positionsB);
    const auto best = std::get<1>(m.max(1)).cpu(), truth = std::get<1>(b.labels.max(1)).cpu(), has = b.labels.sum(1).cpu();
    for (int64_t i = 0; i < best.size(0); ++i)
      if (has[i].item<float>() > 0) hits += best[i].item<int64_t>() == truth[i].item<int64_t>(), ++total;
  }
  net->train();
  return total > 0 ? hits / total : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "matcher.pt";
  const int parsed = readTrainerArgs(argc, argv, "mmreg_train_matcher", kUsage, a, [&](const std::string& k, const NextValue& next) {
    if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--patch") a.patch = std::stoi(next());
    else if (k == "--positives") a.positives = std::stoi(next());
    else if (k == "--dim") a.dim = std::stoi(next());
    else if (k == "--layers") a.layers = std::stoi(next());
    else if (k == "--position-shift") a.positionShift = std::stod(next());
    else if (k == "--positive-jitter") a.positiveJitter = std::stoi(next());
    else if (k == "--centres") a.centres = next();
    else if (k == "--detector-weights") a.detectorWeights = next();
    else if (k == "--init") a.init = next();
    else if (k == "--positional") a.positional = next() == "off" ? 0 : 1;
    else if (k == "--layout") a.layout = next() == "off" ? 0 : 1;
    else if (k == "--standardize") a.standardize = next() == "off" ? 0 : 1;
    else if (k == "--encoder-loss") a.encoderLoss = std::stod(next());
    else if (k == "--same-source-share") a.sameSourceShare = std::stod(next());
    else return false;
    return true;
  });
  if (parsed >= 0) return parsed;
  if (a.crop < a.patch + 16) return std::fprintf(stderr, "mmreg_train_matcher: --crop must exceed --patch by 16 px or more\n"), 2;
  if (a.centres != "detector" && a.centres != "samples")
    return std::fprintf(stderr, "mmreg_train_matcher: --centres is detector or samples, not '%s'\n", a.centres.c_str()), 2;
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
  mmreg::nets::DetectionNet detector{nullptr};
  try {
    if (!a.init.empty()) net = mmreg::nets::loadMatcher(a.init, device), net->train();  // its options win, but these
    if (a.positional >= 0) net->options.positional = a.positional == 1;
    auto wanted = net->options;
    if (a.layout >= 0) wanted.keepLayout = a.layout == 1;
    if (a.standardize >= 0) wanted.standardizePatches = a.standardize == 1;
    if (wanted.keepLayout != net->options.keepLayout || wanted.standardizePatches != net->options.standardizePatches)
      net = rebuilt(net, wanted);
    if (a.centres == "detector")
      detector = mmreg::nets::loadDetector(
          mmreg::nets::weightsPath(a.detectorWeights, "detector.pt", "learned detector", "--detector-weights", "mmreg_train_detector"), device);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_matcher: %s\n", e.what()), 1;
  }
  net->to(device);
  if (a.iterations == 0) {  // rewrite --init in the current file format
    mmreg::nets::saveMatcher(net, a.out);
    return std::printf("wrote %s\n", a.out.c_str()), 0;
  }
  auto* det = a.centres == "detector" ? &detector : nullptr;
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), valRng(a.seed + 1);
  std::vector<Batch> valSet;
  for (int i = 0; i < 8; ++i) valSet.push_back(makeBatch(val, a, valRng, false, det).to(device));
  const Batch fixed = a.fixedBatch ? makeBatch(train, a, rng, false, det).to(device) : Batch{};
  try {
    runTraining(a, opt,
                {[&] { return lossOf(net, a.fixedBatch ? fixed : makeBatch(train, a, rng, true, det).to(device), a.encoderLoss); },
                 [&] { return precisionAt1(net, valSet); }, [&](const std::string& path) { mmreg::nets::saveMatcher(net, path); },
                 "val_precision_at_1", "validation precision@1"});
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_matcher: %s\n", e.what()), 1;
  }
  return 0;
}
