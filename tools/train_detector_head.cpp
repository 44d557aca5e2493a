// Training of the learned part of the detection head (issue 14, nets/detector_head.h): crops of
// pixel-aligned training pairs, the sensed crop warped by a random homography, both scored, the
// sensed map warped back; R2D2's losses (Revaud et al. 2019): one minus the cosine similarity of
// the two maps over 16 px patches (the same points on both sides), plus their peakiness (each
// patch's maximum above its mean, so the maps do not flatten). Validation and the saved
// checkpoint: the repeatability at 3 px of each side's strongest keypoints, one per 32 x 32 px
// (mmreg_bench's measure), on the validation pairs.
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "features/corner_detector.h"
#include "features/local_maxima.h"
#include "mmreg/error.h"
#include "mmreg/metrics.h"
#include "nets/detector_head.h"
#include "training/trainer_setup.h"

namespace {

namespace F = torch::nn::functional;
using namespace mmreg::training;

struct Args : TrainerOptions {
  int crop = 192, batch = 4, patch = 16, valPairs = 30, width = 16;
  double peakyWeight = 0.5;
  std::string valGroups;
};

const char* kUsage =
    "    [--crop PX] [--batch N] [--patch PX] [--peaky-weight W] [--hidden N] [--val-pairs N] [--val-groups G,...]\n"
    "Writes FILE.pt (the best validation repeatability so far) and FILE.pt.last (with .optim and .state for --resume).\n";

// Keypoints of a score map as the benchmark takes them: one per 32 x 32 px, 4 px apart.
std::vector<mmreg::Point2> keypoints(const torch::Tensor& score, const torch::Tensor& valid) {
  const auto s = score[0][0].contiguous(), v = (valid[0][0] > 0.5).to(torch::kUInt8).contiguous();
  const int h = static_cast<int>(s.size(0)), w = static_cast<int>(s.size(1));
  const cv::Mat sm(h, w, CV_32F, s.data_ptr<float>()), vm(h, w, CV_8U, v.data_ptr<std::uint8_t>());
  std::vector<mmreg::Point2> out;
  for (const auto& k : mmreg::strongestLocalMaxima(sm, vm, 4, w * h / 1024)) out.push_back(k.pos);
  return out;
}

// One minus the mean cosine similarity of 16 px patches, and one minus the mean peakiness.
std::pair<torch::Tensor, torch::Tensor> r2d2Losses(const torch::Tensor& a, const torch::Tensor& b, int patch) {
  const auto unfold = [&](const torch::Tensor& m) { return F::unfold(m, F::UnfoldFuncOptions(patch).stride(patch / 2)); };
  const auto pa = unfold(a), pb = unfold(b);  // (N, patch^2, L)
  const auto cosine = (pa * pb).sum(1) / (pa.norm(2, 1) * pb.norm(2, 1) + 1e-8);
  auto peaky = [](const torch::Tensor& p) { return (std::get<0>(p.max(1)) - p.mean(1)) / (std::get<0>(p.max(1)) + 1e-8); };
  return {1 - cosine.mean(), 1 - 0.5 * (peaky(pa).mean() + peaky(pb).mean())};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "detector_head.pt";
  a.lr = 1e-3;
  const int parsed = readTrainerArgs(argc, argv, "mmreg_train_detector_head", kUsage, a, [&](const std::string& k, const NextValue& next) {
    if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--patch") a.patch = std::stoi(next());
    else if (k == "--peaky-weight") a.peakyWeight = std::stod(next());
    else if (k == "--hidden") a.width = std::stoi(next());
    else if (k == "--val-pairs") a.valPairs = std::stoi(next());
    else if (k == "--val-groups") a.valGroups = next();
    else return false;
    return true;
  });
  if (parsed >= 0) return parsed;
  TrainingSetup setup;
  try {
    setup = setUpTraining(a, a.crop);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector_head: %s\n", e.what()), 1;
  }
  auto& [device, train, val] = setup;
  try {
    val = validationGroups(std::move(val), a.valGroups);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector_head: %s\n", e.what()), 2;
  }
  // Fixed validation inputs: the first 512 px of each pair, both sides, pixel-aligned.
  struct ValPair {
    torch::Tensor a, b, va, vb;
    mmreg::Image imageA, imageB;
  };
  std::vector<ValPair> valSet;
  const size_t n = std::min<size_t>(val.size(), a.valPairs);
  for (size_t i = 0; i < n; ++i) {
    const auto& p = val[i * val.size() / n];
    const int side = static_cast<int>(std::min({p.reference.size(2), p.reference.size(3), int64_t{512}}));
    auto cut = [&](const torch::Tensor& t) { return t.slice(2, 0, side).slice(3, 0, side).clone(); };
    const auto ia = toImage(cut(p.reference)), ib = toImage(cut(p.sensed));
    auto ones = torch::ones({1, 1, side, side});
    valSet.push_back({mmreg::nets::detectorInput(ia), mmreg::nets::detectorInput(ib), ones, ones, ia, ib});
  }
  mmreg::nets::DetectorHeadOptions ho;
  ho.width = a.width;
  mmreg::nets::DetectorHead net(ho);
  net->to(device);
  auto validate = [&] {
    torch::NoGradGuard noGrad;
    double sum = 0;
    for (const auto& v : valSet)
      sum += mmreg::metrics::repeatability(keypoints(net->forward(v.a.to(device)).cpu(), v.va), keypoints(net->forward(v.b.to(device)).cpu(), v.vb), 3);
    return sum / valSet.size();
  };
  // The baseline the head must beat: the corners the area matcher places its templates on.
  double corners = 0;
  for (const auto& v : valSet) {
    std::vector<mmreg::Point2> ka, kb;
    const mmreg::CornerDetector detector;
    for (const auto& k : detector.detect(v.imageA, v.imageA.width * v.imageA.height / 1024)) ka.push_back(k.pos);
    for (const auto& k : detector.detect(v.imageB, v.imageB.width * v.imageB.height / 1024)) kb.push_back(k.pos);
    corners += mmreg::metrics::repeatability(ka, kb, 3) / valSet.size();
  }
  std::printf("validation pairs: %zu; repeatability@3px of the corners %.3f, of the peakiness (the untrained head) %.3f\n", valSet.size(),
              corners, validate());
  std::fflush(stdout);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed), fixedRng(a.seed);
  auto lossOf = [&] {
    auto& r = a.fixedBatch ? (fixedRng.seed(a.seed), fixedRng) : rng;
    torch::Tensor total = torch::zeros({}, device);
    for (int s = 0; s < a.batch; ++s) {
      const auto& p = train[std::uniform_int_distribution<size_t>(0, train.size() - 1)(r)];
      const int h = static_cast<int>(p.reference.size(2)), w = static_cast<int>(p.reference.size(3));
      const int y = std::uniform_int_distribution<int>(0, h - a.crop)(r), x = std::uniform_int_distribution<int>(0, w - a.crop)(r);
      auto cut = [&](const torch::Tensor& t) { return t.slice(2, y, y + a.crop).slice(3, x, x + a.crop).clone(); };
      const auto A = cut(p.reference), B = cut(p.sensed);
      // B warped: warped(q) = B(hom(q)); a point p of A lies at hom^-1(p) in it.
      const auto hom = randomHomography(r, a.crop, 2e-5);
      const auto [grid, inside] = gridFor(hom, a.crop);
      const auto warped = F::grid_sample(B, grid, F::GridSampleFuncOptions().align_corners(true));
      const auto sa = net->forward(mmreg::nets::detectorInput(toImage(A)).to(device));
      const auto sw = net->forward(mmreg::nets::detectorInput(toImage(warped, inside)).to(device));
      const auto [back, seen] = gridFor(hom.inverse(), a.crop);
      const auto sb = F::grid_sample(sw, back.to(device), F::GridSampleFuncOptions().align_corners(true));
      const auto mask = seen.to(device) * F::grid_sample(inside, back, F::GridSampleFuncOptions().align_corners(true).mode(torch::kNearest)).to(device);
      const auto [rep, peaky] = r2d2Losses(sa * mask, sb * mask, a.patch);
      total = total + rep + a.peakyWeight * peaky;
    }
    return total / a.batch;
  };
  try {
    runTraining(a, opt,
                {lossOf, validate, [&](const std::string& path) { mmreg::nets::saveDetectorHead(net, path); }, "val_repeatability",
                 "validation repeatability@3px",
                 [&](const std::string& path) { copyParameters(*mmreg::nets::loadDetectorHead(path, device), *net); }});
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_detector_head: %s\n", e.what()), 1;
  }
  return 0;
}
