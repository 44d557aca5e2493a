// mmreg_bench_features: template accuracy of dense feature variants on aligned pairs with no
// misregistration at all: templates of the reference features on a grid, each searched within
// +-radius px in the sensed features by the area matcher's NCC; the share whose peak lands within
// --tolerance px of the truth. It isolates what the features contribute, without search or fit.
// Variants change the sensed (SAR) side only, unless named "-both".
#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "command_line.h"
#include "cv_image.h"
#include "features/dense_features.h"
#include "features/template_accuracy.h"
#include "features/structural_features.h"
#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/preprocess.h"
#include "mmreg/process_memory.h"
#include "mmreg/raster.h"
#include "mmreg/splits.h"
#include "pair_selection.h"

namespace {

struct Args {
  std::string data = "../shared/data", splitsFile = MMREG_DEFAULT_SPLITS, split = "all";
  std::vector<std::string> groups{"3mos/ALOS", "3mos/TerraSAR", "3mos/GF3", "3mos/RCM", "3mos/SEN", "3mos/Redarsat"};
  std::vector<std::string> variants{"structural", "multilook2", "smooth1.5", "ratio3", "ratio5", "ratio7", "ratio5-both"};
  int perGroup = 20, templ = 96, radius = 12;
  double tolerance = 2;
  bool offsets = false;  // print each pair's median peak offset (a systematic one is the truth's)
};

const char* kUsage =
    "mmreg_bench_features [--data DIR] [--split all|train|validation|test] [--groups G1,G2] [--per-group N]\n"
    "                     [--template PX] [--radius PX] [--tolerance PX] [--variants V1,V2]\n"
    "Variants (the sensed side; the reference keeps the structural features unless -both):\n"
    "  structural   the area matcher's features (SAR: Lee filter, dB, Sobel gradients)\n"
    "  multilookN   both images averaged N x N first (templates, radius and tolerance scaled)\n"
    "  smoothS      structural with a spatial Gaussian of S px on the sensed side\n"
    "  ratioH       ROEWA-style log-ratio gradients of the linear intensity over H px half-windows\n"
    "  ratioH-both  the same operator on the optical side too (its luminance as intensity)\n"
    "  ridgeS       oriented line response (Hessian's strongest eigenvalue) after a Gaussian of S px\n"
    "  ridgeS-both  the same on the optical side too\n"
    "  learned      the learned backbone (models/backbone.pt) on both sides; learned:FILE.pt another one\n";

// The learned backbones named by variants, loaded once each.
std::map<std::string, std::shared_ptr<const mmreg::DenseFeatures>> gBackbones;

mmreg::Image multilook(const mmreg::Image& img, int n) {
  cv::Mat out;
  cv::resize(mmreg::asMat(img), out, {img.width / n, img.height / n}, 0, 0, cv::INTER_AREA);
  return mmreg::imageFromMat(out);
}

// Features of one side under a variant; `sar`: the side is speckled amplitude.
std::vector<cv::Mat> features(const mmreg::Image& raw, bool sar, const std::string& v) {
  mmreg::StructuralFeatureOptions o;
  if (v.rfind("smooth", 0) == 0 && sar) o.sigma = std::stod(v.substr(6));
  if (v.rfind("ratio", 0) == 0 && (sar || v.find("-both") != std::string::npos)) {
    mmreg::Image intensity = raw;
    for (auto& p : intensity.pixels) p = p * p;
    cv::Mat gx, gy;
    mmreg::ratioGradients(intensity, std::stoi(v.substr(5)), gx, gy);
    return mmreg::orientedChannels(gx, gy, raw, o);
  }
  const mmreg::Image pre = mmreg::preprocess(raw, sar ? mmreg::Modality::Sar : mmreg::Modality::Optical);
  if (v.rfind("learned", 0) == 0) {
    auto& net = gBackbones[v];
    mmreg::LearnedModelOptions lo;
    if (v.size() > 8) lo.featureWeights = v.substr(8);
    if (!net) net = mmreg::makeDenseFeatures("learned", lo);
    return net->computeFor(pre, sar ? mmreg::Modality::Sar : mmreg::Modality::Optical);
  }
  const bool both = v.find("-both") != std::string::npos;
  if (v.rfind("ridge", 0) == 0 && (sar || both)) {
    // Oriented second derivatives (lines, such as SAR's bright double-bounce lines), after a
    // Gaussian of the given scale; "edges+ridges" keeps both sets of channels.
    const double sigma = std::stod(v.substr(5));
    cv::Mat g;
    cv::GaussianBlur(mmreg::asMat(pre), g, {0, 0}, sigma);
    cv::Mat xx, xy, yy;
    cv::Sobel(g, xx, CV_32F, 2, 0, 3, 0.25);
    cv::Sobel(g, xy, CV_32F, 1, 1, 3, 0.25);
    cv::Sobel(g, yy, CV_32F, 0, 2, 3, 0.25);
    // |D_tt| at orientation t equals |gx cos + gy sin| with gx, gy from the Hessian's square root,
    // so reuse the oriented channels on a line-response pair: the Hessian's eigen-direction.
    cv::Mat lam = cv::Mat::zeros(g.size(), CV_32F), gx(g.size(), CV_32F), gy(g.size(), CV_32F);
    for (int y = 0; y < g.rows; ++y)
      for (int x = 0; x < g.cols; ++x) {
        const double a = xx.at<float>(y, x), b = xy.at<float>(y, x), c = yy.at<float>(y, x);
        const double tr = 0.5 * (a + c), det = std::sqrt(0.25 * (a - c) * (a - c) + b * b);
        const double l1 = tr + det, l2 = tr - det, big = std::abs(l1) > std::abs(l2) ? l1 : l2;
        const double th = 0.5 * std::atan2(2 * b, a - c) + (std::abs(l1) > std::abs(l2) ? 0 : M_PI / 2);
        gx.at<float>(y, x) = static_cast<float>(std::abs(big) * std::cos(th));
        gy.at<float>(y, x) = static_cast<float>(std::abs(big) * std::sin(th));
      }
    return mmreg::orientedChannels(gx, gy, pre, o);
  }
  return mmreg::structuralFeatures(pre, o);
}

struct Count {
  int templates = 0, within = 0;
};

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();  // as the CLI does: the times are the CLI's
  Args a;
  const auto done = bench::CommandLine("mmreg_bench_features", kUsage)
                        .text("--data", a.data)
                        .text("--split", a.split)
                        .list("--groups", a.groups)
                        .list("--variants", a.variants)
                        .integer("--per-group", a.perGroup)
                        .integer("--template", a.templ)
                        .integer("--radius", a.radius)
                        .number("--tolerance", a.tolerance)
                        .flag("--offsets", a.offsets)
                        .parse(argc, argv);
  if (done) return *done;
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  mmreg::registerLearnedModels();
  std::map<std::string, std::vector<mmreg::AlignedPair>> byGroup;
  std::map<std::pair<std::string, std::string>, Count> counts;
  try {
    byGroup = bench::pairsByGroup(a.data, a.splitsFile, a.split, {}, a.groups);
    for (auto& [g, list] : byGroup) {
      for (const auto& p : bench::spreadEvenly(list, a.perGroup)) {
        // Pixel-aligned pairs only; the 3MOS TerraSAR-X grids, resized, are cut 0.54 px apart in y,
        // which the 2 px tolerance absorbs.
        const auto& t = p.sensedToReference;
        if (t[0] != 1 || t[1] != 0 || t[3] != 0 || t[4] != 1 || std::abs(t[2]) > 0.6 || std::abs(t[5]) > 0.6) continue;
        const mmreg::Image ref = bench::readBands(p.reference), sen = bench::readBands(p.sensed);
        for (const auto& v : a.variants) {
          const int look = v.rfind("multilook", 0) == 0 ? std::stoi(v.substr(9)) : 1;
          const mmreg::Image r = look > 1 ? multilook(ref, look) : ref, s = look > 1 ? multilook(sen, look) : sen;
          const auto fr = features(r, false, v), fs = features(s, true, v);
          const int t = a.templ / look, m = std::max(2, a.radius / look);
          const double tol = a.tolerance / look;
          auto& c = counts[{g, v}];
          const auto hits = mmreg::templateHits(fr, fs, t, m, tol);
          c.templates += hits.templates, c.within += hits.within;
          std::vector<double> ox, oy;
          for (const auto& o : hits.offsets) ox.push_back(o.x), oy.push_back(o.y);
          if (a.offsets && !ox.empty()) {
            std::nth_element(ox.begin(), ox.begin() + ox.size() / 2, ox.end());
            std::nth_element(oy.begin(), oy.begin() + oy.size() / 2, oy.end());
            std::fprintf(stderr, "%s %s: median peak offset %.0f, %.0f px over %zu templates\n", p.name.c_str(), v.c_str(),
                         ox[ox.size() / 2] * look, oy[oy.size() / 2] * look, ox.size());
          }
        }
      }
    }
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench_features: %s\n", e.what()), 1;
  }
  std::printf("templates %d px searched +-%d px, share whose NCC peak lies within %.1f px of the truth (no misregistration)\n\n",
              a.templ, a.radius, a.tolerance);
  std::printf("| group |");
  for (const auto& v : a.variants) std::printf(" %s |", v.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < a.variants.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (auto& [g, list] : byGroup) {
    std::printf("| %s |", g.c_str());
    for (const auto& v : a.variants) {
      const auto& c = counts[{g, v}];
      std::printf(" %.2f (%d) |", c.templates ? static_cast<double>(c.within) / c.templates : NAN, c.templates);
    }
    std::printf("\n");
  }
  return 0;
}
