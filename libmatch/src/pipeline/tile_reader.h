#pragma once
// Reads preprocessed tiles: the reference window in the processing grid, and the sensed image
// resampled into that same grid through the current estimate, padded by the search margin.
#include <mutex>
#include <vector>

#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "pipeline/band_choice.h"
#include "pipeline/decoded_raster.h"
#include "pipeline/pixel_mapping.h"

namespace mmreg {

// `window` in full-resolution pixels of `raster`, read at outWidth x outHeight and preprocessed.
Image readProcessed(const GeoRaster& raster, const BandChoice& choice, const PixelWindow& window, int outWidth,
                    int outHeight);

// Safe to call from several threads at once: windows are cut from the decoded rasters where
// they serve, else read from the files one thread at a time (GDAL allows no more on a dataset);
// preprocessing runs in the calling thread.
class TileReader {
 public:
  // scale: reference pixels per processing pixel. `decoded`: the job's rasters decoded once.
  TileReader(const GeoRaster& ref, const BandChoice& refBands, const GeoRaster& sen, const BandChoice& senBands,
             double scale, DecodedRasters decoded = {})
      : ref_(ref), refBands_(refBands), sen_(sen), senBands_(senBands), scale_(scale), decoded_(std::move(decoded)) {}
  Image reference(const PixelWindow& procWindow) const;
  // `window` in reference pixels, read at w x h and preprocessed.
  Image referenceAt(const PixelWindow& window, int w, int h) const;
  Image sensedInReferenceFrame(const PixelWindow& procWindow, int margin, const PixelMapping& mapping) const;

 private:
  // The combined bands over `window` at w x h, not preprocessed.
  Image combined(const GeoRaster& raster, const BandChoice& choice, const DecodedRaster* decoded, std::mutex& fileLock,
                 const PixelWindow& window, int w, int h) const;

  const GeoRaster& ref_;
  BandChoice refBands_;
  const GeoRaster& sen_;
  BandChoice senBands_;
  double scale_;
  DecodedRasters decoded_;
  mutable std::mutex refLock_, senLock_;
};

}  // namespace mmreg
