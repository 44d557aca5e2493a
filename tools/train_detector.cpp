// Self-supervised training of the detection network (Li, Han & Ye 2022, section 3.2): a
// pixel-aligned pair from the training split, one side warped by a random homography, both
// through the shared network; Huber loss between the score maps at corresponding pixels,
// out-of-frame pixels ignored. The same code runs on CPU and CUDA (--device).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "mmreg/error.h"
#include "mmreg/metrics.h"
#include "nets/detection_net.h"
#include "training/trainer_setup.h"

namespace {

namespace F = torch::nn::functional;
using namespace mmreg::training;

struct Args : TrainerOptions {
  std::string init;
  int batch = 8, crop = 128;
  double peakWeight = 1, maxPerspective = 5e-4;
  int cell = 16;
  bool bilinear = false;  // the ablation: bilinear upsampling instead of sub-pixel
};

const char* kUsage =
    "    [--init FILE.pt] [--batch N] [--crop PX] [--bilinear] [--peak-weight F] [--cell PX] [--max-perspective F]\n"
    "Trains on the pixel-aligned pairs of the training split of models/splits.json; logs the loss and the\n"
    "validation repeatability at 3 px on every log line, when it also writes the weights: FILE.pt the best so far\n"
    "by that repeatability, FILE.pt.last the latest. --init continues from saved weights (their width wins).\n";

struct Batch {
  torch::Tensor a, b, grid, mask;  // b is warped; grid maps a's pixels into b, mask: those in b's frame
  torch::Tensor maskB;             // b's pixels whose source lies in a's frame
};

Batch makeBatch(const std::vector<LoadedPair>& pairs, const Args& args, std::mt19937& rng, bool augment) {
  std::vector<torch::Tensor> as, bs, grids, masks, masksB;
  std::uniform_int_distribution<size_t> pick(0, pairs.size() - 1);
  for (int i = 0; i < args.batch; ++i) {
    const auto& p = pairs[pick(rng)];
    std::uniform_int_distribution<int64_t> ux(0, p.reference.size(3) - args.crop), uy(0, p.reference.size(2) - args.crop);
    const int64_t x = ux(rng), y = uy(rng);
    auto a = p.reference.slice(2, y, y + args.crop).slice(3, x, x + args.crop).clone();
    auto b = p.sensed.slice(2, y, y + args.crop).slice(3, x, x + args.crop).clone();
    if (augment) a = modalityChange(a, rng), b = modalityChange(b, rng);
    const auto hm = randomHomography(rng, args.crop, args.maxPerspective);  // a pixel p <-> warped-b pixel H p
    const auto [toOriginal, fromFrame] = gridFor(torch::inverse(hm), args.crop);
    const auto warped = F::grid_sample(b, toOriginal, F::GridSampleFuncOptions().align_corners(true));
    const auto [toWarped, inFrame] = gridFor(hm, args.crop);
    as.push_back(a), bs.push_back(warped), grids.push_back(toWarped), masks.push_back(inFrame), masksB.push_back(fromFrame);
  }
  return {torch::cat(as), torch::cat(bs), torch::cat(grids), torch::cat(masks), torch::cat(masksB)};
}

Batch toDevice(const Batch& b, const torch::Device& d) { return {b.a.to(d), b.b.to(d), b.grid.to(d), b.mask.to(d), b.maskB.to(d)}; }

// Each cell x cell block of a score map as a unit vector (B, cells, cell^2); also which blocks
// lie wholly in the frame given by `mask`.
std::pair<torch::Tensor, torch::Tensor> unitCells(const torch::Tensor& score, const torch::Tensor& mask, int cell) {
  const auto opts = F::UnfoldFuncOptions({cell, cell}).stride(cell);
  const auto v = F::unfold(score * mask, opts).transpose(1, 2);  // (B, cells, cell^2)
  const auto full = std::get<0>(F::unfold(mask, opts).min(1)) > 0.5;  // (B, cells)
  return {v / (v.norm(2, -1, true) + 1e-6), full};
}

// The loss (choices; the paper says only "Huber loss between the score maps"):
// - consistency: the Huber loss between a's score map and b's brought back to a's frame, over the
//   cell x cell blocks wholly in both frames, each block scaled to unit L2 norm first. Without
//   the scaling a constant map has zero loss; with it the term compares where the peaks are, not
//   how strong they are (which differs between modalities), and in its quadratic range it is
//   R2D2's cosine-similarity loss (Revaud et al. 2019), 1 - cos.
// - peakiness: 1 - mean over blocks of (block max - block mean), on both maps (R2D2's "peaky"
//   loss), so every block holds a distinct peak rather than a plateau or nothing.
torch::Tensor lossOf(mmreg::nets::DetectionNet& net, const Batch& b, const Args& a) {
  const auto sa = net->forward(b.a).score, sb = net->forward(b.b).score;
  const auto back = F::grid_sample(sb, b.grid, F::GridSampleFuncOptions().align_corners(true));
  const auto [ua, full] = unitCells(sa, b.mask, a.cell);
  const auto [ub, unused] = unitCells(back, b.mask, a.cell);
  const auto perCell = F::huber_loss(ua, ub, F::HuberLossFuncOptions().reduction(torch::kNone)).sum(-1);  // (B, cells)
  const auto fullF = full.to(torch::kFloat);
  const auto consistency = (perCell * fullF).sum() / fullF.sum().clamp_min(1);
  auto peaky = [&](const torch::Tensor& s) {
    return (1 - (F::max_pool2d(s, F::MaxPool2dFuncOptions(a.cell)) - F::avg_pool2d(s, F::AvgPool2dFuncOptions(a.cell)))).mean();
  };
  return consistency + a.peakWeight * 0.5 * (peaky(sa) + peaky(sb));
}

// Repeatability at 3 px of the strongest keypoints at one per 32 x 32 px (the density of
// SuperPoint's HPatches protocol, 300 in 480 x 640; the benchmark uses the same), so a map
// cannot score by putting a keypoint everywhere.
double repeatability3(mmreg::nets::DetectionNet& net, const Batch& b) {
  torch::NoGradGuard g;
  net->eval();
  const auto sa = net->forward(b.a).score.cpu(), sb = net->forward(b.b).score.cpu();
  const auto grids = b.grid.cpu(), masks = b.mask.cpu(), masksB = b.maskB.cpu();
  const int n = static_cast<int>(sa.size(2)), k = std::max(1, n * n / 1024);
  double sum = 0;
  for (int64_t i = 0; i < sa.size(0); ++i) {
    const auto ka = mmreg::nets::selectKeypoints(sa[i].unsqueeze(0), 0.0, 4, k);
    const auto kb = mmreg::nets::selectKeypoints(sb[i].unsqueeze(0), 0.0, 4, k);
    const auto grid = grids[i], mask = masks[i][0];
    std::vector<mmreg::Point2> pa, pb;
    // a's keypoints that land in b's frame, mapped there; b's keypoints as they are.
    for (int64_t j = 0; j < ka.size(0); ++j) {
      const int x = static_cast<int>(ka[j][0].item<float>()), y = static_cast<int>(ka[j][1].item<float>());
      if (mask[y][x].item<float>() < 0.5) continue;
      pa.push_back({(grid[y][x][0].item<float>() + 1) * (n - 1) / 2.0, (grid[y][x][1].item<float>() + 1) * (n - 1) / 2.0});
    }
    for (int64_t j = 0; j < kb.size(0); ++j) {
      const int x = static_cast<int>(kb[j][0].item<float>()), y = static_cast<int>(kb[j][1].item<float>());
      if (masksB[i][0][y][x].item<float>() >= 0.5) pb.push_back({static_cast<double>(x), static_cast<double>(y)});
    }
    sum += mmreg::metrics::repeatability(pa, pb, 3.0);
  }
  net->train();
  return sum / sa.size(0);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "detector.pt";
  const int parsed = readTrainerArgs(argc, argv, "mmreg_train_detector", kUsage, a, [&](const std::string& k, const NextValue& next) {
    if (k == "--init") a.init = next();
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--bilinear") a.bilinear = true;
    else if (k == "--peak-weight") a.peakWeight = std::stod(next());
    else if (k == "--cell") a.cell = std::stoi(next());
    else if (k == "--max-perspective") a.maxPerspective = std::stod(next());
    else return false;
    return true;
  });
  if (parsed >= 0) return parsed;
  TrainingSetup setup;
  try {
    setup = setUpTraining(a, a.crop);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector: %s\n", e.what()), 1;
  }
  const auto& [device, train, val] = setup;

  mmreg::nets::DetectionNetOptions o;
  o.widthMultiplier = a.width;
  o.subPixel = !a.bilinear;
  mmreg::nets::DetectionNet net(o);
  try {
    if (!a.init.empty()) net = mmreg::nets::loadDetector(a.init, device), net->train();
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector: %s\n", e.what()), 1;
  }
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), valRng(a.seed + 1);
  Args valArgs = a;
  valArgs.batch = 32;  // a fixed validation set, larger than a training batch
  const Batch valBatch = toDevice(makeBatch(val, valArgs, valRng, false), device);
  Batch fixed;
  if (a.fixedBatch) fixed = toDevice(makeBatch(train, a, rng, false), device);
  try {
    runTraining(a, opt,
                {[&] { return lossOf(net, a.fixedBatch ? fixed : toDevice(makeBatch(train, a, rng, true), device), a); },
                 [&] { return repeatability3(net, valBatch); }, [&](const std::string& path) { mmreg::nets::saveDetector(net, path); },
                 "val_repeatability3", "validation repeatability at 3 px"});
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector: %s\n", e.what()), 1;
  }
  return 0;
}
