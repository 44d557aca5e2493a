// mmreg_bench_detectors: time per 512 x 512 tile of every keypoint detector on the same real
// tiles of a split, at a fixed OpenCV thread count (the learned ones run LibTorch on one thread,
// as in the pipeline, where tiles run side by side). Prints one table with the ratio to SIFT.
#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <opencv2/core.hpp>

#include "command_line.h"
#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/learned_models.h"
#include "mmreg/preprocess.h"
#include "mmreg/process_memory.h"
#include "mmreg/raster.h"
#include "mmreg/splits.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string data = "../shared/data", splitsFile = MMREG_DEFAULT_SPLITS, split = "test";
  int tiles = 12, threads = 2, size = 512, repeats = 3;
};

const char* kUsage =
    "mmreg_bench_detectors [--data DIR] [--split test] [--tiles N] [--size PX] [--threads N] [--repeats N]\n"
    "Times corner, SIFT, ORB, AKAZE and the peakiness detectors (on the structural features, on the learned\n"
    "backbone, and with the trained head) on the same --size tiles (the optical side of the split's pairs that\n"
    "are at least that large), --repeats runs each, the median reported.\n";

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[v.size() / 2];
}

std::vector<mmreg::Image> loadTiles(const Args& a) {
  const auto spec = mmreg::loadSplits(a.splitsFile);
  std::vector<mmreg::Image> tiles;
  for (const auto& p : mmreg::loadAll(a.data)) {
    if (static_cast<int>(tiles.size()) >= a.tiles) break;
    if (mmreg::splitOf(p, spec) != a.split) continue;
    const auto r = mmreg::GeoRaster::open(p.reference.path);
    const auto& w = p.reference.window;
    const int width = w.width ? w.width : r.width(), height = w.height ? w.height : r.height();
    if (width < a.size || height < a.size) continue;
    std::vector<mmreg::Image> bands;
    const mmreg::PixelWindow win{w.x + (width - a.size) / 2, w.y + (height - a.size) / 2, a.size, a.size};
    for (int b : p.reference.bands.empty() ? std::vector<int>{1} : p.reference.bands) bands.push_back(r.readWindow(b, win, a.size, a.size));
    tiles.push_back(mmreg::preprocess(mmreg::combineBands(bands), mmreg::Modality::Optical));
  }
  return tiles;
}

// Median over tiles of the median of `repeats` timed runs, in ms; also the mean keypoint count.
std::pair<double, double> timeDetector(const mmreg::Detector& d, const std::vector<mmreg::Image>& tiles, int size, int repeats) {
  std::vector<double> ms;
  double count = 0;
  d.detect(tiles.front(), size * size / 1024);  // warm-up (allocations, lazy initialisation)
  for (const auto& t : tiles) {
    std::vector<double> runs;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = Clock::now();
      count += d.detect(t, size * size / 1024).size();
      runs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    ms.push_back(medianOf(runs));
  }
  return {medianOf(ms), count / (tiles.size() * repeats)};
}

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();  // as the CLI does: the times are the CLI's
  Args a;
  const auto done = bench::CommandLine("mmreg_bench_detectors", kUsage)
                        .text("--data", a.data)
                        .text("--split", a.split)
                        .integer("--tiles", a.tiles)
                        .integer("--size", a.size)
                        .integer("--threads", a.threads)
                        .integer("--repeats", a.repeats)
                        .parse(argc, argv);
  if (done) return *done;
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  mmreg::registerLearnedModels();
  cv::setNumThreads(a.threads);
  try {
    const auto tiles = loadTiles(a);
    if (tiles.empty()) return std::fprintf(stderr, "mmreg_bench_detectors: no %d px tiles in split %s\n", a.size, a.split.c_str()), 1;
    const std::vector<std::string> names{"corner", "sift", "orb", "akaze", "peakiness", "peakiness-learned", "peakiness-trained"};
    std::vector<std::pair<double, double>> rows;
    for (const auto& n : names) rows.push_back(timeDetector(*mmreg::makeDetector(n), tiles, a.size, a.repeats));
    const double sift = rows[1].first;
    std::printf("\n%zu tiles of %d x %d px (split %s), %d threads, median of %d runs; keypoints capped at one per 32 x 32 px\n",
                tiles.size(), a.size, a.size, a.split.c_str(), a.threads, a.repeats);
    std::printf("\n| detector | ms per tile | keypoints per tile | time / SIFT |\n|---|---|---|---|\n");
    for (size_t i = 0; i < names.size(); ++i)
      std::printf("| %s | %.1f | %.0f | %.2f |\n", names[i].c_str(), rows[i].first, rows[i].second, rows[i].first / sift);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench_detectors: %s\n", e.what()), 1;
  }
  return 0;
}
