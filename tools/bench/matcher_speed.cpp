// mmreg_bench_matchers: time per 512 x 512 tile pair of every tile matcher on the same real
// pixel-aligned pairs of a split, at a fixed thread count (OpenCV's and LibTorch's), with the
// sensed tile padded by the search margin as the pipeline gives it. The keypoint matchers are
// timed with and without the area-based refinement of their matches. Prints one table with
// the ratio to SIFT.
#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <opencv2/core.hpp>

#include "command_line.h"
#include "features/area_matcher.h"
#include "features/area_refinement.h"
#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/learned_models.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "mmreg/splits.h"
#ifdef MMREG_BENCH_LEARNED_VARIANTS
#include "learned_variants.h"
#include "mmreg/process_memory.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string data = "../shared/data", splitsFile = MMREG_DEFAULT_SPLITS, split = "validation", matcherWeights, featureWeights;
  std::string device = "cpu";
  std::string matchers = ",area,area@learned,sift,orb,akaze,learned,";  // comma-delimited, so that a name is found only whole
  int tiles = 8, threads = 2, size = 512, margin = 16, repeats = 3;
};

const char* kUsage =
    "mmreg_bench_matchers [--data DIR] [--split validation] [--tiles N] [--size PX] [--margin PX] [--threads N]\n"
    "                     [--repeats N] [--matcher-weights FILE.pt] [--feature-weights FILE.pt] [--device cpu|cuda]\n"
    "                     [--matchers area,area@learned,sift,orb,akaze,learned,learned-grid4]\n"
    "Times area (on structural and on learned features), SIFT, ORB, AKAZE and the learned matcher (the\n"
    "cross-fusion head on the learned backbone) on the same\n"
    "--size tile pairs (the centres of the split's pixel-aligned pairs that are large enough; the sensed side\n"
    "padded by --margin), --repeats runs each, the median reported.\n";

struct TilePair {
  mmreg::Image ref, sensedPadded;
};

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[v.size() / 2];
}

mmreg::Image readCentre(const mmreg::ImageWindowRef& w, mmreg::Modality m, int size) {
  const auto r = mmreg::GeoRaster::open(w.path);
  const int width = w.window.width ? w.window.width : r.width(), height = w.window.height ? w.window.height : r.height();
  const mmreg::PixelWindow win{w.window.x + (width - size) / 2, w.window.y + (height - size) / 2, size, size};
  std::vector<mmreg::Image> bands;
  for (int b : w.bands.empty() ? std::vector<int>{1} : w.bands) bands.push_back(r.readWindow(b, win, size, size));
  return mmreg::preprocess(mmreg::combineBands(bands), m);
}

std::vector<TilePair> loadTilePairs(const Args& a) {
  const auto spec = mmreg::loadSplits(a.splitsFile);
  std::vector<TilePair> out;
  for (const auto& p : mmreg::loadAll(a.data)) {
    if (static_cast<int>(out.size()) >= a.tiles) break;
    if (mmreg::splitOf(p, spec) != a.split || p.sensedToReference != std::array<double, 6>{1, 0, 0, 0, 1, 0}) continue;
    const auto r = mmreg::GeoRaster::open(p.reference.path);
    const int width = p.reference.window.width ? p.reference.window.width : r.width();
    const int height = p.reference.window.height ? p.reference.window.height : r.height();
    if (std::min(width, height) < a.size + 2 * a.margin) continue;
    const bool sar = p.source == "3mos" || p.source == "s1s2";
    out.push_back({readCentre(p.reference, mmreg::Modality::Optical, a.size),
                   readCentre(p.sensed, sar ? mmreg::Modality::Sar : mmreg::Modality::Optical, a.size + 2 * a.margin)});
  }
  return out;
}

struct Timing {
  double ms = NAN, refinedMs = NAN, matches = 0;
};

// Median over tile pairs of the median of `repeats` runs, in ms, without and with refinement.
Timing timeMatcher(const mmreg::TileMatcher& m, const std::vector<TilePair>& pairs, const Args& a, bool refine) {
  std::vector<double> plain, refined;
  double count = 0;
  m.match(pairs.front().ref, pairs.front().sensedPadded, a.margin);  // warm-up (allocations, lazy initialisation)
  for (const auto& p : pairs) {
    std::vector<double> runs, runsRefined;
    for (int r = 0; r < a.repeats; ++r) {
      const auto t0 = Clock::now();
      const auto found = m.match(p.ref, p.sensedPadded, a.margin);
      const auto t1 = Clock::now();
      if (refine) mmreg::refineMatches(p.ref, p.sensedPadded, a.margin, found);
      runs.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      runsRefined.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      count += static_cast<double>(found.size());
    }
    plain.push_back(medianOf(runs)), refined.push_back(medianOf(runsRefined));
  }
  return {medianOf(plain), refine ? medianOf(refined) : NAN, count / (pairs.size() * a.repeats)};
}

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();  // as the CLI does: the times are the CLI's
  Args a;
  const auto done = bench::CommandLine("mmreg_bench_matchers", kUsage)
                        .text("--data", a.data)
                        .text("--split", a.split)
                        .integer("--tiles", a.tiles)
                        .integer("--size", a.size)
                        .integer("--margin", a.margin)
                        .integer("--threads", a.threads)
                        .integer("--repeats", a.repeats)
                        .text("--matcher-weights", a.matcherWeights)
                        .text("--feature-weights", a.featureWeights)
                        .text("--device", a.device)
                        .custom("--matchers", [&](const std::string& v) { a.matchers = "," + v + ","; })
                        .parse(argc, argv);
  if (done) return *done;
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  mmreg::registerLearnedModels();
  cv::setNumThreads(a.threads);
  try {
    const auto pairs = loadTilePairs(a);
    if (pairs.empty()) return std::fprintf(stderr, "mmreg_bench_matchers: no %d px pixel-aligned pairs in split %s\n", a.size, a.split.c_str()), 1;
    mmreg::LearnedModelOptions lo;
    lo.matcherWeights = a.matcherWeights, lo.featureWeights = a.featureWeights, lo.device = a.device;
    struct Row {
      std::string name;
      std::unique_ptr<mmreg::TileMatcher> matcher;
      bool keypoints;
    };
    std::vector<Row> rows;
    auto wanted = [&](const std::string& key) { return a.matchers.find("," + key + ",") != std::string::npos; };
    for (const char* n : {"area", "sift", "orb", "akaze"})
      if (wanted(n)) rows.push_back({n, mmreg::makeTileMatcher(n, lo), std::string(n) != "area"});
    if (wanted("area@learned")) {  // the area matcher on the learned backbone's features (issue 13)
      mmreg::AreaMatcherOptions onLearned;
      onLearned.features = mmreg::makeDenseFeatures("learned", lo);
      onLearned.modalities.sensed = mmreg::Modality::Sar;
      rows.push_back({"area@learned", std::make_unique<mmreg::AreaMatcher>(onLearned), false});
    }
    if (wanted("learned")) rows.push_back({"learned (" + a.device + ")", mmreg::makeTileMatcher("learned", lo), true});
#ifdef MMREG_BENCH_LEARNED_VARIANTS
    if (wanted("learned-grid4")) {  // sensed tokens every 4 px (bench/learned_variants.h)
      bench::useLearnedVariant("grid4");
      rows.push_back({"learned-grid4 (" + a.device + ")", mmreg::makeTileMatcher("learned", lo), true});
      bench::useLearnedVariant("");
    }
#endif
    if (rows.empty()) return std::fprintf(stderr, "mmreg_bench_matchers: --matchers names none of the matchers\n%s", kUsage), 2;
    std::vector<Timing> times;
    for (const auto& r : rows) times.push_back(timeMatcher(*r.matcher, pairs, a, r.keypoints));
    // The baselines' times, NAN when their rows were not run.
    auto timeOf = [&](const std::string& name) {
      for (size_t i = 0; i < rows.size(); ++i)
        if (rows[i].name == name) return times[i].ms;
      return static_cast<double>(NAN);
    };
    const double sift = timeOf("sift"), area = timeOf("area");
    std::printf("\n%zu tile pairs of %d x %d px (sensed padded by %d px; split %s), %d threads, median of %d runs\n", pairs.size(),
                a.size, a.size, a.margin, a.split.c_str(), a.threads, a.repeats);
    std::printf("\n| matcher | ms per tile pair | with refinement | matches per pair | time / SIFT | time / area |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& t = times[i];
      char refined[32] = "–";
      if (rows[i].keypoints) std::snprintf(refined, sizeof refined, "%.1f", t.refinedMs);
      std::printf("| %s | %.1f | %s | %.0f | %.2f | %.2f |\n", rows[i].name.c_str(), t.ms, refined, t.matches, t.ms / sift, t.ms / area);
    }
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench_matchers: %s\n", e.what()), 1;
  }
  return 0;
}
