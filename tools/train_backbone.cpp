// Training of the learned dense feature backbone (issue 13) on the objective the area matcher
// uses: crops of a pixel-aligned pair of the training split, the B side warped by a small random
// homography (what is left after the pipeline resamples the sensed tile into the reference
// frame), every template of a grid over A correlated over its search window in B by the
// matcher's zero-mean NCC, and a softmax cross-entropy at the true displacement plus a margin
// (nets/template_ncc.h). Every template is a sample: dense supervision.
//
// --single-modality trains as MIFNet does (modality invariance from single-modality data): B is
// A's own optical crop through synthetic modality changes; no SAR, infrared, depth or map pixel
// is seen, and validation uses the same construction on the validation pairs' optical side.
// Otherwise validation is the template accuracy of mmreg_bench_features on the validation
// pairs: 96 px templates searched +-12 px, the share whose peak lies within 2 px.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "features/template_accuracy.h"
#include "mmreg/error.h"
#include "nets/feature_backbone.h"
#include "nets/learned_features.h"
#include "nets/template_ncc.h"
#include "training/trainer_setup.h"

namespace {

namespace F = torch::nn::functional;
using namespace mmreg::training;

struct Args : TrainerOptions {
  int crop = 160, templ = 48, radius = 8, step = 24, batch = 4, channels = 16, valPairs = 24;
  bool intensity = true, singleModality = false, sarStem = false;
  double maxRotation = 0.08, maxScale = 0.06, maxShift = 0.03;
  double maxZoom = 1.0;       // crops zoomed by up to this factor either way (1: none)
  double pairedChanges = 0;   // paired: share of sensed crops through a modality change (half as many reference crops)
  std::string valGroups;      // comma-separated "source/group" names to validate on (empty: every validation pair)
  mmreg::nets::NccLossOptions loss;
};

const char* kUsage =
    "    [--crop PX] [--template PX] [--radius PX] [--step PX] [--batch N] [--channels N] [--no-intensity] [--sar-stem]\n"
    "    [--single-modality] [--temperature T] [--margin M] [--margin-weight W] [--max-rotation RAD]\n"
    "    [--max-scale F] [--max-shift F] [--max-zoom F] [--paired-changes P] [--val-pairs N] [--val-groups G,...]\n"
    "--val-groups picks the checkpoint on those validation groups only, e.g. 3mos/RCM: a satellite never\n"
    "trained on, where the other validation pairs come from satellites that are. --sar-stem gives the sensed\n"
    "(SAR) side a first stage of its own.\n"
    "Writes FILE.pt (the best validation template accuracy so far) and FILE.pt.last (with .optim and .state\n"
    "for --resume) on every log line.\n";

// The training crops of one sample: A (reference side) and B before its warp, (1, 1, C, C);
// sar: B is SAR (or, single-modality, went through the SAR-like path).
struct Crops {
  torch::Tensor A, B;
  bool sar = false;
};

Crops drawCrops(const std::vector<LoadedPair>& pairs, const Args& a, std::mt19937& rng) {
  const auto& p = pairs[std::uniform_int_distribution<size_t>(0, pairs.size() - 1)(rng)];
  const int h = static_cast<int>(p.reference.size(2)), w = static_cast<int>(p.reference.size(3));
  // A random zoom (log-uniform): structure at other scales than the training sensors' own.
  const double zoom = std::exp(std::uniform_real_distribution<double>(-std::log(a.maxZoom), std::log(a.maxZoom))(rng));
  const int side = std::clamp(static_cast<int>(std::lround(a.crop * zoom)), 16, std::min(h, w));
  const int y = std::uniform_int_distribution<int>(0, h - side)(rng), x = std::uniform_int_distribution<int>(0, w - side)(rng);
  auto cut = [&](const torch::Tensor& t) {
    const auto c = t.slice(2, y, y + side).slice(3, x, x + side);
    if (side == a.crop) return c.clone();
    auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{a.crop, a.crop});
    return side > a.crop ? F::interpolate(c, o.mode(torch::kArea)) : F::interpolate(c, o.mode(torch::kBilinear).align_corners(false));
  };
  auto A = cut(p.reference);
  std::uniform_real_distribution<double> u(0, 1);
  if (!a.singleModality) {
    // Paired: the real sensed crop, sometimes through a modality change too (other sensors'
    // radiometry than the training satellites').
    auto B = cut(p.sensed);
    if (u(rng) < a.pairedChanges) B = modalityChange(B, rng).clamp(0, 1);
    if (u(rng) < a.pairedChanges / 2) A = modalityChange(A, rng).clamp(0, 1);
    return {A, B, p.sensedIsSar};
  }
  // Single-modality: B is A's own pixels through a modality change, sometimes with a SAR-like
  // path (multiplicative speckle of a few looks, then a log scale) on top.
  auto B = modalityChange(A.clone(), rng);
  const bool sar = u(rng) < 0.5;
  if (sar) {
    const int looks = std::uniform_int_distribution<int>(1, 4)(rng);
    auto speckle = torch::zeros_like(B);
    for (int l = 0; l < looks; ++l) speckle += -torch::rand_like(B).clamp_min(1e-6).log();
    B = torch::log1p(20 * B * B * speckle / looks) / std::log(21.0);
  }
  if (u(rng) < 0.5) A = modalityChange(A, rng);
  return {A, B.clamp(0, 1), sar};
}

// The NCC maps and the truth of one batch of samples, through the network.
struct Correlations {
  torch::Tensor ncc, truth;
};

Correlations correlate(mmreg::nets::FeatureBackbone& net, const std::vector<LoadedPair>& pairs, const Args& a, std::mt19937& rng,
                       const torch::Device& device) {
  // Index 0: the A (optical) crops, 1: the B (sensed) crops. Each B runs through the network on
  // its own: a SAR stem applies only to the SAR ones.
  std::vector<torch::Tensor> structural[2], image[2], mask[2];
  std::vector<bool> sar;
  struct Template {
    int sample, x0, y0, sx0, sy0;
    double u, v;
  };
  std::vector<Template> templates;
  const int t = a.templ, m = a.radius, len = t + 2 * m;
  const double half = (t - 1) / 2.0;
  for (int s = 0; s < a.batch; ++s) {
    const auto [A, B, sarB] = drawCrops(pairs, a, rng);
    sar.push_back(sarB);
    const auto h = randomHomography(rng, a.crop, 2e-5, a.maxRotation, a.maxScale, a.maxShift);
    const auto [grid, inside] = gridFor(h, a.crop);
    const auto warped = F::grid_sample(B, grid, F::GridSampleFuncOptions().align_corners(true));
    const auto inA = mmreg::nets::backboneInput(toImage(A)), inB = mmreg::nets::backboneInput(toImage(warped, inside));
    for (int side = 0; side < 2; ++side) {
      const auto& in = side ? inB : inA;
      structural[side].push_back(in.structural), image[side].push_back(in.image), mask[side].push_back(in.mask);
    }
    // A point p of A lies at h^-1(p) in the warped B.
    const auto hinv = h.inverse();
    const auto ia = hinv.accessor<double, 2>();
    const auto sa = inA.structural[0];
    for (int y0 = 4; y0 + t + 4 <= a.crop; y0 += a.step)
      for (int x0 = 4; x0 + t + 4 <= a.crop; x0 += a.step) {
        const double cx = x0 + half, cy = y0 + half, wz = ia[2][0] * cx + ia[2][1] * cy + ia[2][2];
        const double px = (ia[0][0] * cx + ia[0][1] * cy + ia[0][2]) / wz, py = (ia[1][0] * cx + ia[1][1] * cy + ia[1][2]) / wz;
        const int sx0 = static_cast<int>(std::lround(px - half)) - m, sy0 = static_cast<int>(std::lround(py - half)) - m;
        if (sx0 < 0 || sy0 < 0 || sx0 + len > a.crop || sy0 + len > a.crop) continue;
        if (inside.slice(2, sy0, sy0 + len).slice(3, sx0, sx0 + len).mean().item<double>() < 0.999) continue;
        const auto tmpl = sa.slice(1, y0, y0 + t).slice(2, x0, x0 + t);
        if ((tmpl - tmpl.mean({1, 2}, true)).pow(2).mean().item<double>() < 1e-4) continue;  // flat: nothing to learn
        templates.push_back({s, x0, y0, sx0, sy0, px - half - sx0, py - half - sy0});
      }
  }
  if (templates.empty()) return {};
  const auto fA = net->forward(torch::cat(structural[0]).to(device), torch::cat(image[0]).to(device), torch::cat(mask[0]).to(device));
  std::vector<torch::Tensor> fB;
  for (int s = 0; s < a.batch; ++s)
    fB.push_back(net->forward(structural[1][s].to(device), image[1][s].to(device), mask[1][s].to(device), sar[s])[0]);
  std::vector<torch::Tensor> tk, wk;
  std::vector<float> truth;
  for (const auto& q : templates) {
    tk.push_back(fA[q.sample].slice(1, q.y0, q.y0 + t).slice(2, q.x0, q.x0 + t));
    wk.push_back(fB[q.sample].slice(1, q.sy0, q.sy0 + len).slice(2, q.sx0, q.sx0 + len));
    truth.push_back(static_cast<float>(q.u)), truth.push_back(static_cast<float>(q.v));
  }
  return {mmreg::nets::templateNcc(torch::stack(tk), torch::stack(wk)),
          torch::tensor(truth).view({-1, 2}).to(device)};
}

// Template accuracy as mmreg_bench_features measures it, on fixed validation crops (at most
// 512 px a side); --single-modality: against the crop's own synthetic modality change.
struct ValidationSet {
  struct Pair {
    mmreg::Image A, B;
    bool sar;  // B is SAR
  };
  std::vector<Pair> pairs;
};

ValidationSet validationSet(std::vector<LoadedPair> val, const Args& a) {
  val = validationGroups(std::move(val), a.valGroups);
  ValidationSet v;
  std::mt19937 rng(a.seed + 7);
  const size_t n = std::min<size_t>(val.size(), a.valPairs);
  for (size_t i = 0; i < n; ++i) {
    const auto& p = val[i * val.size() / n];
    const int side = static_cast<int>(std::min({p.reference.size(2), p.reference.size(3), int64_t{512}}));
    auto cut = [&](const torch::Tensor& t) { return t.slice(2, 0, side).slice(3, 0, side).clone(); };
    auto A = cut(p.reference), B = cut(p.sensed);
    bool sar = p.sensedIsSar;
    if (a.singleModality) {
      Args single = a;
      single.crop = side;
      single.maxZoom = 1;
      LoadedPair own{A, A};
      const auto crops = drawCrops({own}, single, rng);
      A = crops.A, B = crops.B, sar = crops.sar;
    }
    v.pairs.push_back({toImage(A), toImage(B), sar});
  }
  return v;
}

double templateAccuracy(const mmreg::DenseFeatures& features, const ValidationSet& v) {
  int n = 0, within = 0;
  for (const auto& [A, B, sar] : v.pairs) {
    const auto hits = mmreg::templateHits(features.compute(A), features.computeFor(B, sar ? mmreg::Modality::Sar : mmreg::Modality::Optical), 96, 12, 2);
    n += hits.templates, within += hits.within;
  }
  return n ? static_cast<double>(within) / n : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.splits = MMREG_DEFAULT_SPLITS;
  a.out = "backbone.pt";
  a.lr = 1e-3;
  const int parsed = readTrainerArgs(argc, argv, "mmreg_train_backbone", kUsage, a, [&](const std::string& k, const NextValue& next) {
    if (k == "--crop") a.crop = std::stoi(next());
    else if (k == "--template") a.templ = std::stoi(next());
    else if (k == "--radius") a.radius = std::stoi(next());
    else if (k == "--step") a.step = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--channels") a.channels = std::stoi(next());
    else if (k == "--no-intensity") a.intensity = false;
    else if (k == "--sar-stem") a.sarStem = true;
    else if (k == "--single-modality") a.singleModality = true;
    else if (k == "--temperature") a.loss.temperature = std::stod(next());
    else if (k == "--margin") a.loss.margin = std::stod(next());
    else if (k == "--margin-weight") a.loss.marginWeight = std::stod(next());
    else if (k == "--max-rotation") a.maxRotation = std::stod(next());
    else if (k == "--max-scale") a.maxScale = std::stod(next());
    else if (k == "--max-shift") a.maxShift = std::stod(next());
    else if (k == "--val-pairs") a.valPairs = std::stoi(next());
    else if (k == "--max-zoom") a.maxZoom = std::stod(next());
    else if (k == "--paired-changes") a.pairedChanges = std::stod(next());
    else if (k == "--val-groups") a.valGroups = next();
    else return false;
    return true;
  });
  if (parsed >= 0) return parsed;
  if (a.crop < a.templ + 2 * a.radius + 8)
    return std::fprintf(stderr, "mmreg_train_backbone: --crop must exceed --template + 2 --radius by 8 px or more\n"), 2;
  TrainingSetup setup;
  try {
    setup = setUpTraining(a, std::max(a.crop, 96 + 24));
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_backbone: %s\n", e.what()), 1;
  }
  const auto& [device, train, val] = setup;
  mmreg::nets::FeatureBackboneOptions o;
  o.width = a.channels, o.intensity = a.intensity, o.sarStem = a.sarStem;
  mmreg::nets::FeatureBackbone net(o);
  net->to(device);
  ValidationSet valSet;
  try {
    valSet = validationSet(val, a);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_backbone: %s\n", e.what()), 2;
  }
  std::printf("validation crops: %zu%s%s\n", valSet.pairs.size(), a.valGroups.empty() ? "" : " from ", a.valGroups.c_str());
  auto validate = [&] {
    const mmreg::nets::LearnedFeatures features(net, a.device);
    const double acc = templateAccuracy(features, valSet);
    net->train();
    return acc;
  };
  std::printf("validation template accuracy of the structural features (the untrained backbone): %.3f\n", validate());
  std::fflush(stdout);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(a.lr));
  std::mt19937 rng(a.seed);
  // --fixed-batch: one batch, drawn once, which the loss must be able to fit (smoke test).
  std::mt19937 fixedRng(a.seed);
  auto lossOf = [&] {
    if (a.fixedBatch) fixedRng.seed(a.seed), torch::manual_seed(a.seed);
    const auto c = correlate(net, train, a, a.fixedBatch ? fixedRng : rng, device);
    if (!c.ncc.defined()) return torch::zeros({}, torch::requires_grad());
    return mmreg::nets::nccMatchingLoss(c.ncc, c.truth, a.loss).loss;
  };
  try {
    runTraining(a, opt,
                {lossOf, validate, [&](const std::string& path) { mmreg::nets::saveBackbone(net, path); },
                 "val_template_accuracy", "validation template accuracy",
                 [&](const std::string& path) { copyParameters(*mmreg::nets::loadBackbone(path, device), *net); }});
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_train_backbone: %s\n", e.what()), 1;
  }
  return 0;
}
