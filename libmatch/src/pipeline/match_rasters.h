#pragma once
#include "mmreg/coregister.h"
#include "mmreg/raster.h"

namespace mmreg {

// Tie points between two open rasters: three matching passes (docs/ALGORITHM.md).
MatchResult matchOpenRasters(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& options,
                             const FitOptions& fit, const ProgressSpan& progress);

// Throws mmreg::Error with advice when the reference cannot serve as one.
void checkReference(const GeoRaster& reference);

}  // namespace mmreg
