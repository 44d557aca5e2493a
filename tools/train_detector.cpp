// Self-supervised training of the detection network (Li, Han & Ye 2022, section 3.2): a
// pixel-aligned pair from the training split, one side warped by a random homography, both
// through the shared network; Huber loss between the score maps at corresponding pixels,
// out-of-frame pixels ignored. The same code runs on CPU and CUDA (--device).
#include <cpl_conv.h>
#include <gdal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/metrics.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "mmreg/splits.h"
#include "nets/detection_net.h"

namespace {

namespace F = torch::nn::functional;

struct Args {
  std::string data = "../shared/data", splits = MMREG_DEFAULT_SPLITS, out = "detector.pt", device = "cpu";
  int iterations = 1000, batch = 8, crop = 128, logEvery = 50, threads = 0, maxPairs = 0;
  double lr = 1e-4, width = 0.25, peakWeight = 0.1, cellWeight = 0.1, maxPerspective = 5e-4;
  int cell = 8;
  bool fixedBatch = false;  // smoke test: train on one batch, which the loss must be able to fit
  unsigned seed = 1;
};

const char* kUsage =
    "mmreg_train_detector [--data DIR] [--splits FILE] [--out FILE.pt] [--device cpu|cuda] [--iterations N]\n"
    "                     [--batch N] [--crop PX] [--lr F] [--width F] [--peak-weight F] [--cell-weight F] [--cell PX]\n"
    "                     [--max-perspective F] [--fixed-batch]\n"
    "                     [--max-pairs N] [--threads N] [--log-every N] [--seed N]\n"
    "Trains on the pixel-aligned pairs of the training split of models/splits.json; logs the loss and the\n"
    "validation repeatability at 3 px; writes the weights with torch::save (checkpoints on every log line).\n";

// A random homography about the crop centre: rotation, scale, shift and perspective, small
// enough that most of the crop stays in frame.
torch::Tensor randomHomography(std::mt19937& rng, int size, double maxPerspective) {
  std::uniform_real_distribution<double> u(-1, 1);
  const double c = size / 2.0, a = 0.35 * u(rng), s = 1 + 0.15 * u(rng);
  const double tx = 0.1 * size * u(rng), ty = 0.1 * size * u(rng);
  const double px = maxPerspective * u(rng), py = maxPerspective * u(rng);
  const auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  auto t = [&](double x, double y) { return torch::tensor({1.0, 0.0, x, 0.0, 1.0, y, 0.0, 0.0, 1.0}, f64).view({3, 3}); };
  const auto rs =
      torch::tensor({s * std::cos(a), -s * std::sin(a), 0.0, s * std::sin(a), s * std::cos(a), 0.0, px, py, 1.0}, f64).view({3, 3});
  return t(c + tx, c + ty).matmul(rs).matmul(t(-c, -c));
}

// Sampling grid for grid_sample that reads, for every output pixel q, the input at h(q)
// (pixel-index coordinates, align_corners); also the mask of q whose h(q) lies in the frame.
std::pair<torch::Tensor, torch::Tensor> gridFor(const torch::Tensor& h, int size) {
  const auto r = torch::arange(size, torch::kDouble);
  const auto yy = r.view({size, 1}).expand({size, size}), xx = r.view({1, size}).expand({size, size});
  const auto p = torch::stack({xx, yy, torch::ones_like(xx)}, -1).view({-1, 3}).matmul(h.t());
  const auto x = p.select(1, 0) / p.select(1, 2), y = p.select(1, 1) / p.select(1, 2);
  const auto inside = (x >= 0) & (x <= size - 1) & (y >= 0) & (y <= size - 1);
  const auto grid = torch::stack({x * (2.0 / (size - 1)) - 1, y * (2.0 / (size - 1)) - 1}, -1).view({1, size, size, 2});
  return {grid.to(torch::kFloat), inside.view({1, 1, size, size}).to(torch::kFloat)};
}

// Synthetic modality changes (choice, as issue 4 asks): a random gamma remap, inversion, speckle, blur.
torch::Tensor modalityChange(torch::Tensor x, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng) < 0.5) x = x.clamp_min(1e-4).pow(std::exp(1.2 * (u(rng) - 0.5)));
  if (u(rng) < 0.3) x = 1 - x;
  if (u(rng) < 0.3) x = x * (-torch::rand_like(x).clamp_min(1e-6).log());  // one-look intensity speckle
  if (u(rng) < 0.3) x = F::avg_pool2d(F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate)), F::AvgPool2dFuncOptions(3).stride(1));
  return x.clamp(0, 3);
}

torch::Tensor readCrop(const mmreg::ImageWindowRef& w, int x, int y, int size, mmreg::Modality m) {
  const auto r = mmreg::GeoRaster::open(w.path);
  std::vector<mmreg::Image> bands;
  const mmreg::PixelWindow win{w.window.x + x, w.window.y + y, size, size};
  for (int b : w.bands.empty() ? std::vector<int>{1} : w.bands) bands.push_back(r.readWindow(b, win, size, size));
  const auto img = mmreg::preprocess(mmreg::combineBands(bands), m);
  return torch::from_blob(const_cast<float*>(img.pixels.data()), {1, 1, size, size}, torch::kFloat).clone();
}

struct Batch {
  torch::Tensor a, b, grid, mask;  // b is warped; grid maps a's pixels into b
};

Batch makeBatch(const std::vector<mmreg::AlignedPair>& pairs, const Args& args, std::mt19937& rng, bool augment) {
  std::vector<torch::Tensor> as, bs, grids, masks;
  std::uniform_int_distribution<size_t> pick(0, pairs.size() - 1);
  for (int i = 0; i < args.batch; ++i) {
    const auto& p = pairs[pick(rng)];
    const auto ref = mmreg::GeoRaster::open(p.reference.path);
    const int w = p.reference.window.width ? p.reference.window.width : ref.width();
    const int h = p.reference.window.height ? p.reference.window.height : ref.height();
    std::uniform_int_distribution<int> ux(0, std::max(0, w - args.crop)), uy(0, std::max(0, h - args.crop));
    const int x = ux(rng), y = uy(rng);
    auto a = readCrop(p.reference, x, y, args.crop, mmreg::Modality::Optical);
    auto b = readCrop(p.sensed, x, y, args.crop, p.source == "3mos" || p.source == "s1s2" ? mmreg::Modality::Sar : mmreg::Modality::Optical);
    if (augment) a = modalityChange(a, rng), b = modalityChange(b, rng);
    const auto hm = randomHomography(rng, args.crop, args.maxPerspective);  // a pixel p <-> warped-b pixel H p
    const auto [toOriginal, unused] = gridFor(torch::inverse(hm), args.crop);
    const auto warped = F::grid_sample(b, toOriginal, F::GridSampleFuncOptions().align_corners(true));
    const auto [toWarped, inFrame] = gridFor(hm, args.crop);
    as.push_back(a), bs.push_back(warped), grids.push_back(toWarped), masks.push_back(inFrame);
  }
  return {torch::cat(as), torch::cat(bs), torch::cat(grids), torch::cat(masks)};
}

// Huber loss between a's scores and b's scores brought back to a's frame, in-frame pixels only,
// plus two regularisers (choice, the paper gives none): the mean score, against the constant
// map that would make the Huber term zero, and one minus the maximum of every cell x cell
// block, against the opposite collapse to a single peak per image. Together they favour one
// sharp peak per cell, where the Huber term makes it repeatable.
torch::Tensor lossOf(mmreg::nets::DetectionNet& net, const Batch& b, const Args& a) {
  const auto sa = net->forward(b.a).score, sb = net->forward(b.b).score;
  const auto back = F::grid_sample(sb, b.grid, F::GridSampleFuncOptions().align_corners(true));
  const auto n = b.mask.sum().clamp_min(1);
  const auto huber = (F::huber_loss(sa, back, F::HuberLossFuncOptions().reduction(torch::kNone)) * b.mask).sum() / n;
  return huber + a.peakWeight * (sa.mean() + sb.mean()) +
         a.cellWeight * ((1 - F::max_pool2d(sa, F::MaxPool2dFuncOptions(a.cell))).mean() +
                         (1 - F::max_pool2d(sb, F::MaxPool2dFuncOptions(a.cell))).mean());
}

double repeatability3(mmreg::nets::DetectionNet& net, const Batch& b) {
  torch::NoGradGuard g;
  net->eval();
  const auto sa = net->forward(b.a).score, sb = net->forward(b.b).score;
  double sum = 0;
  for (int64_t i = 0; i < sa.size(0); ++i) {
    const auto ka = mmreg::nets::selectKeypoints(sa[i].unsqueeze(0), 0.6, 4, 300);
    const auto kb = mmreg::nets::selectKeypoints(sb[i].unsqueeze(0), 0.6, 4, 300);
    const auto grid = b.grid[i], mask = b.mask[i][0];
    std::vector<mmreg::Point2> pa, pb;
    const int n = static_cast<int>(sa.size(2));
    // a's keypoints that land in b's frame, mapped there; b's keypoints as they are.
    for (int64_t k = 0; k < ka.size(0); ++k) {
      const int x = static_cast<int>(ka[k][0].item<float>()), y = static_cast<int>(ka[k][1].item<float>());
      if (mask[y][x].item<float>() < 0.5) continue;
      pa.push_back({(grid[y][x][0].item<float>() + 1) * (n - 1) / 2.0, (grid[y][x][1].item<float>() + 1) * (n - 1) / 2.0});
    }
    for (int64_t k = 0; k < kb.size(0); ++k) pb.push_back({kb[k][0].item<float>(), kb[k][1].item<float>()});
    sum += mmreg::metrics::repeatability(pa, pb, 3.0);
  }
  net->train();
  return sum / sa.size(0);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) std::fprintf(stderr, "%s needs a value\n", k.c_str()), std::exit(2);
      return argv[++i];
    };
    if (k == "--data") a.data = next();
    else if (k == "--splits") a.splits = next();
    else if (k == "--out") a.out = next();
    else if (k == "--device") a.device = next();
    else if (k == "--iterations") a.iterations = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--lr") a.lr = std::stod(next());
    else if (k == "--width") a.width = std::stod(next());
    else if (k == "--peak-weight") a.peakWeight = std::stod(next());
    else if (k == "--cell-weight") a.cellWeight = std::stod(next());
    else if (k == "--cell") a.cell = std::stoi(next());
    else if (k == "--fixed-batch") a.fixedBatch = true;
    else if (k == "--max-perspective") a.maxPerspective = std::stod(next());
    else if (k == "--max-pairs") a.maxPairs = std::stoi(next());
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--log-every") a.logEvery = std::stoi(next());
    else if (k == "--seed") a.seed = static_cast<unsigned>(std::stoul(next()));
    else if (k == "--help" || k == "-h") return std::fputs(kUsage, stdout), 0;
    else return std::fprintf(stderr, "unknown option %s\n%s", k.c_str(), kUsage), 2;
  }
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  torch::manual_seed(a.seed);
  if (a.threads > 0) torch::set_num_threads(a.threads);  // Debian's LibTorch starts with one
  const torch::Device device(a.device == "cuda" ? torch::kCUDA : torch::kCPU);
  std::vector<mmreg::AlignedPair> train, val;
  try {
    const auto spec = mmreg::loadSplits(a.splits);
    for (const auto& p : mmreg::loadAll(a.data)) {
      const auto& t = p.sensedToReference;
      if (!(t[0] == 1 && t[1] == 0 && t[2] == 0 && t[3] == 0 && t[4] == 1 && t[5] == 0)) continue;  // pixel-aligned only
      const std::string s = mmreg::splitOf(p, spec);
      if (s == "train") train.push_back(p);
      else if (s == "validation") val.push_back(p);
    }
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector: %s\n", e.what()), 1;
  }
  if (a.maxPairs > 0 && static_cast<int>(train.size()) > a.maxPairs) train.resize(a.maxPairs);
  if (train.empty() || val.empty()) return std::fprintf(stderr, "mmreg_train_detector: no training or validation pairs under %s\n", a.data.c_str()), 1;
  std::printf("training pairs: %zu, validation pairs: %zu, device: %s\n", train.size(), val.size(), a.device.c_str());

  mmreg::nets::DetectionNetOptions o;
  o.widthMultiplier = a.width;
  mmreg::nets::DetectionNet net(o);
  net->to(device);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), valRng(a.seed + 1);
  Batch valBatch = makeBatch(val, a, valRng, false);
  valBatch = {valBatch.a.to(device), valBatch.b.to(device), valBatch.grid.to(device), valBatch.mask.to(device)};
  const auto t0 = std::chrono::steady_clock::now();
  double running = 0;
  Batch fixed;
  if (a.fixedBatch) {
    fixed = makeBatch(train, a, rng, false);
    fixed = {fixed.a.to(device), fixed.b.to(device), fixed.grid.to(device), fixed.mask.to(device)};
  }
  for (int it = 1; it <= a.iterations; ++it) {
    Batch b = a.fixedBatch ? fixed : makeBatch(train, a, rng, true);
    if (!a.fixedBatch) b = {b.a.to(device), b.b.to(device), b.grid.to(device), b.mask.to(device)};
    opt.zero_grad();
    const auto loss = lossOf(net, b, a);
    loss.backward();
    opt.step();
    running += loss.item<double>();
    if (it % a.logEvery == 0 || it == a.iterations) {
      const int n = it % a.logEvery == 0 ? a.logEvery : it % a.logEvery;
      std::printf("iteration %d loss %.5f val_repeatability3 %.3f elapsed %.0fs\n", it, running / n, repeatability3(net, valBatch),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
      running = 0;
      torch::save(net, a.out);
    }
  }
  std::printf("wrote %s\n", a.out.c_str());
  return 0;
}
