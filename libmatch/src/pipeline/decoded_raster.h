#pragma once
// A raster decoded once, whole, at an integer decimation. Every tile of every pass and the
// verdict's windows are then cut from memory instead of each making GDAL decode and average the
// file's blocks again (at 10240² that was most of a job's reading, on one thread).
#include <memory>
#include <optional>
#include <vector>

#include "mmreg/image.h"
#include "mmreg/raster.h"

namespace mmreg {

class DecodedRaster {
 public:
  // `bands` of `raster`, each averaged over factor x factor pixels and combined as the tile
  // reader combines them (not preprocessed). Throws mmreg::Error when GDAL cannot read them.
  DecodedRaster(const GeoRaster& raster, const std::vector<int>& bands, int factor);

  int factor() const { return factor_; }
  const std::vector<int>& bands() const { return bands_; }

  // `window` (full-resolution pixels) at outWidth x outHeight, averaged from the decoded cells
  // (exactly their block mean when the window lies on the decoded grid and each output pixel
  // covers whole cells, as the tile reader asks). An output pixel is valid when every cell it
  // covers is. Nothing when the output is finer than the decoded grid: read the file instead.
  std::optional<Image> read(const PixelWindow& window, int outWidth, int outHeight) const;

 private:
  int factor_;
  std::vector<int> bands_;
  Image cells_;  // one cell per factor x factor block that lies wholly inside the raster
};

// The decoded rasters a job holds: at most one per raster, kept while the factor stays.
struct DecodedRasters {
  std::shared_ptr<const DecodedRaster> ref, sen;
};

// Decodes the reference at `refFactor` and the sensed at `senFactor` (one thread each), reusing
// what `held` already has at those factors. A raster whose decoded cells would exceed
// `maxCells` is not decoded (its tiles are read from the file, as before).
DecodedRasters decodeRasters(const GeoRaster& ref, const std::vector<int>& refBands, int refFactor, const GeoRaster& sen,
                             const std::vector<int>& senBands, int senFactor, const DecodedRasters& held,
                             long long maxCells);

}  // namespace mmreg
