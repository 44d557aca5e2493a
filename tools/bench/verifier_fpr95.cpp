// mmreg_bench_verifier: FPR95 (false positive rate at 95 % recall) of the patch-pair verifier
// (issue 14) and of its baseline, the zero-mean NCC of the same descriptor blocks, on aligned
// pairs never trained on: positives are the blocks of the same place on both sides (moved by up
// to 1 px), negatives the sensed block 6-16 px off the truth, where a wrong match would be,
// once at the NCC's best wrong peak there (hard: what the area matcher would pick) and once
// at a random offset. The sensed side is resampled into the reference frame through the
// pair's truth. Prints one table, one row per group.
#include <cpl_conv.h>
#include <gdal.h>

#include <chrono>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "command_line.h"
#include "pair_selection.h"
#include "cv_image.h"
#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/learned_models.h"
#include "mmreg/preprocess.h"
#include "mmreg/process_memory.h"
#include "mmreg/raster.h"
#include "nets/patch_verifier.h"
#include "nets/torch_support.h"
#include "training/content_alignment.h"
#include "training/patch_pairs.h"

namespace {

using namespace mmreg::training;

struct Args {
  std::string data = "../shared/data", splitsFile = MMREG_DEFAULT_SPLITS, weights = MMREG_DEFAULT_VERIFIER;
  std::string features = "structural", featureWeights;
  std::vector<std::string> groups = {"3mos/ALOS", "3mos/TerraSAR", "vsff/VSFF", "srif/Optical-Infrared"};
  int perGroup = 10, centres = 32;
  unsigned seed = 1;
  bool alignContent = false;
};

const char* kUsage =
    "mmreg_bench_verifier [--data DIR] [--groups G1,G2] [--per-group N] [--centres N] [--weights FILE.pt]\n"
    "                     [--features structural|learned] [--feature-weights FILE.pt] [--seed N] [--align-content]\n"
    "Pairs of the test and validation splits only (never trained on); --centres positives per pair, and as\n"
    "many negatives of each kind. --align-content: a pixel-aligned pair is first moved onto the offset most of\n"
    "its templates agree on (the trainer's), or dropped; the dataset truth of many SAR pairs is pixels off.\n";

// The sensed image in the reference frame through the pair's affine truth, invalid outside.
mmreg::Image intoReferenceFrame(const mmreg::Image& sensed, const mmreg::AlignedPair& p, int width, int height) {
  const auto& t = p.sensedToReference;
  if (t == std::array<double, 6>{1, 0, 0, 0, 1, 0} && sensed.width == width && sensed.height == height) return sensed;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << t[0], t[1], t[2], t[3], t[4], t[5]);
  cv::Mat out, valid;
  cv::warpAffine(mmreg::asMat(sensed), out, m, {width, height}, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::warpAffine(mmreg::validMask(sensed), valid, m, {width, height}, cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
  mmreg::Image img = mmreg::imageFromMat(out);
  img.valid.assign(valid.datastart, valid.dataend);
  for (auto& v : img.valid) v = v ? 1 : 0;
  return img;
}

struct Row {
  std::string group;
  int pairs = 0, dropped = 0;
  std::vector<PatchPairs> hard, random;
};

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();  // as the CLI does: the times are the CLI's
  Args a;
  const auto done = bench::CommandLine("mmreg_bench_verifier", kUsage)
                        .text("--data", a.data)
                        .list("--groups", a.groups)
                        .integer("--per-group", a.perGroup)
                        .integer("--centres", a.centres)
                        .text("--weights", a.weights)
                        .text("--features", a.features)
                        .text("--feature-weights", a.featureWeights)
                        .seed("--seed", a.seed)
                        .flag("--align-content", a.alignContent)
                        .parse(argc, argv);
  if (done) return *done;
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  mmreg::registerLearnedModels();
  torch::set_num_threads(1);
  std::vector<Row> rows;
  mmreg::nets::PatchVerifier verifier{nullptr};
  try {
    verifier = mmreg::nets::loadVerifier(a.weights, torch::kCPU);
    mmreg::LearnedModelOptions lo;
    lo.featureWeights = a.featureWeights;
    const auto features = mmreg::makeDenseFeatures(a.features, lo);
    std::mt19937 rng(a.seed);
    for (const char* split : {"test", "validation"})
      for (auto& [g, list] : bench::pairsByGroup(a.data, a.splitsFile, split, {}, a.groups)) {
        Row row{g};
        for (const auto& p : bench::spreadEvenly(list, a.perGroup)) {
          const auto modality = bench::sensedIsSar(p) ? mmreg::Modality::Sar : mmreg::Modality::Optical;
          const auto ref = mmreg::preprocess(bench::readBands(p.reference), mmreg::Modality::Optical);
          auto sen = intoReferenceFrame(mmreg::preprocess(bench::readBands(p.sensed), modality), p, ref.width, ref.height);
          auto aligned = ref;
          if (a.alignContent && p.sensedToReference == std::array<double, 6>{1, 0, 0, 0, 1, 0}) {
            const LoadedPair loaded{mmreg::nets::imageTensor(ref).clone(), mmreg::nets::imageTensor(sen).clone(), g,
                                    modality == mmreg::Modality::Sar};
            const auto content = measureContentAlignment(loaded);
            if (!content.trustworthy()) {
              ++row.dropped;
              continue;
            }
            const auto moved = shiftedPair(loaded, content.offset);
            aligned = toImage(moved.reference), sen = toImage(moved.sensed);
          }
          const auto d = describePair(*features, aligned, sen, modality);
          PatchSampling s;
          s.centres = a.centres, s.hardShare = 1;
          row.hard.push_back(samplePatchPairs(d, s, rng));
          s.hardShare = 0;
          row.random.push_back(samplePatchPairs(d, s, rng));
          ++row.pairs;
        }
        rows.push_back(std::move(row));
      }
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench_verifier: %s\n", e.what()), 1;
  }
  std::printf("FPR95 on %s features (lower is better); positives within 1 px, negatives 6-16 px off the %s\n\n", a.features.c_str(),
              a.alignContent ? "content's alignment (the dataset truth for SRIF)" : "dataset truth");
  std::printf("| group | pairs (dropped) | positives | NCC, hard negatives | verifier, hard negatives | NCC, random negatives | "
              "verifier, random negatives | AUC hard: NCC | AUC hard: verifier |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  torch::NoGradGuard noGrad;
  for (const auto& r : rows) {
    const auto hard = concatenate(r.hard), random = concatenate(r.random);
    if (!hard.label.defined() || !random.label.defined()) {
      std::printf("| %s | %d (%d) | 0 | – | – | – | – | – | – |\n", r.group.c_str(), r.pairs, r.dropped);
      continue;
    }
    const auto nccHard = mmreg::nets::blockNcc(hard.a, hard.b), verifierHard = verifier->forward(hard.a, hard.b);
    std::printf("| %s | %d (%d) | %lld | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r.group.c_str(), r.pairs, r.dropped,
                static_cast<long long>(hard.label.sum().item<double>()), fpr95(nccHard, hard.label), fpr95(verifierHard, hard.label),
                fpr95(mmreg::nets::blockNcc(random.a, random.b), random.label), fpr95(verifier->forward(random.a, random.b), random.label),
                rocAuc(nccHard, hard.label), rocAuc(verifierHard, hard.label));
  }
  return 0;
}
