#pragma once
// Shared helpers: data paths, temporary folders, running the CLI binary.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mmreg/datasets.h"
#include "mmreg/image.h"

namespace mmreg_test {

std::string sharedData();   // ../shared/data
std::string sampleData();   // sample_data/
bool haveSharedData();
// A fresh, empty folder under the build's temporary directory; removed by the test fixture.
std::string freshDir(const std::string& name);
void removeTree(const std::string& dir);
bool fileExists(const std::string& path);
// Number of entries in a folder (to prove that nothing partial was left behind).
int countEntries(const std::string& dir);

struct CliResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};
CliResult runCli(const std::string& args);
CliResult runProgram(const std::string& program, const std::string& args);
// Runs `program` with `args` (no shell) and sends it `sig` `delay` seconds after its output first
// contains `after` (empty: any output; by then it runs and its handlers are installed, whatever
// the machine's start-up time). The signal is not ignored in the program, as at a terminal.
CliResult runAndSignal(const std::string& program, const std::vector<std::string>& args, int sig, const std::string& after,
                       double delay);
// The losses of a trainer's "iteration N loss L ..." lines, in order.
std::vector<double> trainingLosses(const std::string& output);
// Runs a trainer with `args` (which must log every 5 iterations) for 10 iterations, then with
// --resume to 15. Empty when both runs succeed, the loss falls over the first, and the second
// continues where the first stopped; else what went wrong, with the output. firstOutput: the
// first run's output, for the caller's own checks.
std::string trainerSmokeAndResumeProblem(const std::string& program, const std::string& args, std::string* firstOutput = nullptr);

// Pixels of `raster` mapped to pixels of `reference` by GDAL's own transformer, through both
// rasters' georeferencing (geotransform, GCPs, RPCs, CRS): what any GDAL tool will do with them.
class GdalPixelMapping {
 public:
  GdalPixelMapping(const std::string& raster, const std::string& reference);
  ~GdalPixelMapping();
  GdalPixelMapping(const GdalPixelMapping&) = delete;
  GdalPixelMapping& operator=(const GdalPixelMapping&) = delete;
  mmreg::Point2 operator()(mmreg::Point2 rasterPixel) const;

 private:
  void* raster_ = nullptr;
  void* reference_ = nullptr;
  void* transformer_ = nullptr;
};

// Worst distance, over a grid of `raster` pixels (x and y from `from` to `to` in `steps`
// steps), between GDAL's mapping into `reference` pixels and `truth`.
double worstMappingError(const std::string& raster, const std::string& reference,
                         const std::function<mmreg::Point2(mmreg::Point2)>& truth, double from, double to, int steps);

// gdal_translate `args` from `source` to `target`; false when GDAL fails.
bool translateRaster(const std::string& source, const std::string& target, const std::vector<std::string>& args);
// gdal_translate -srcwin x y w h from `source` to a GeoTIFF `target`; false when GDAL fails.
bool cropRaster(const std::string& source, const std::string& target, int x, int y, int w, int h);

// A GeoTIFF copy of a single-band Byte `source` whose pixels `edit` changes (width, height,
// row-major values), with `nodata` declared (none: the copy declares none); false when GDAL fails.
bool copyWithEditedPixels(const std::string& source, const std::string& target,
                          const std::function<void(std::vector<unsigned char>&, int, int)>& edit, std::optional<double> nodata);

// The first pair of the 3MOS grid with this stem ("SEN_city"), index k.
mmreg::AlignedPair threeMosPair(const std::string& stem, int k);

// A preprocessed side x side window at (x, y) of the bundled Sentinel-2 reference (luminance) or
// Sentinel-1 sensed image (SAR path); the two are pixel-aligned up to about 2 px
// (sample_data/README.md).
mmreg::Image s1s2SampleWindow(bool sar, int x, int y, int side);

}  // namespace mmreg_test

#define SKIP_WITHOUT_SHARED_DATA()                                            \
  do {                                                                        \
    if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "../shared/data missing"; \
  } while (0)
