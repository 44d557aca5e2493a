// libFuzzer target: opening and matching a mutated small GeoTIFF. The bytes become the sensed
// raster (in /vsimem/), registered against a fixed small reference; every outcome must be a
// result or a mmreg::Error, never a crash, a hang or undefined behaviour.
#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mmreg/coregister.h"
#include "mmreg/error.h"
#include "mmreg/raster.h"

namespace {

// The reference: the first corpus file's twin, given by MMREG_FUZZ_REFERENCE.
std::string reference() {
  const char* path = std::getenv("MMREG_FUZZ_REFERENCE");
  if (!path) {
    std::fprintf(stderr, "fuzz_geotiff: set MMREG_FUZZ_REFERENCE to a small georeferenced GeoTIFF\n");
    std::abort();
  }
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  GDALAllRegister();
  CPLSetConfigOption("CPL_DEBUG", "OFF");
  CPLSetErrorHandler(CPLQuietErrorHandler);  // GDAL's complaints about broken files are expected
  CPLSetConfigOption("GDAL_NUM_THREADS", "1");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string ref = reference();
  const std::string path = "/vsimem/fuzz_sensed.tif";
  VSILFILE* f = VSIFileFromMemBuffer(path.c_str(), const_cast<GByte*>(data), static_cast<vsi_l_offset>(size), FALSE);
  if (!f) return 0;
  VSIFCloseL(f);
  try {
    // Opening alone, and reading every band whole: the reader's own checks.
    const auto raster = mmreg::GeoRaster::open(path);
    if (static_cast<double>(raster.width()) * raster.height() <= 512.0 * 512.0)
      for (int b = 1; b <= raster.bandCount(); ++b) raster.readWindow(b, {0, 0, raster.width(), raster.height()}, 32, 32);
    // The whole job on it, small: no outputs, few tiles.
    mmreg::CoregisterOptions o;
    o.reference = ref;
    o.sensed = path;
    o.match.tileSize = 64;
    o.match.searchMargin = 8;
    o.match.maxTiles = 4;
    o.match.threads = 1;
    o.match.coarse = mmreg::CoarseMode::Never;  // the 360-degree search costs seconds under the sanitizers
    mmreg::coregister(o, nullptr);
  } catch (const mmreg::Error&) {
    // Refused, or bad input said so: both fine.
  }
  VSIUnlink(path.c_str());
  return 0;
}
