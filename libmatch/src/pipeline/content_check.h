#pragma once
// Before any matching: a raster whose matching bands hold no valid pixel, or only one value,
// cannot be registered, and saying so beats "no credible match".
#include <vector>

#include "mmreg/raster.h"

namespace mmreg {

// Throws mmreg::Error naming `role` ("reference", "sensed"), the raster and the bands when every
// band's overview in `overviews` (one per entry of `bands`) is all no-data (masked, NaN) or
// constant over its valid pixels.
void checkHasContent(const GeoRaster& raster, const std::vector<int>& bands, const std::vector<Image>& overviews, const char* role);

}  // namespace mmreg
