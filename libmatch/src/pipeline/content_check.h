#pragma once
// Before any matching, what the inputs' overviews say: a raster whose matching bands hold no
// valid pixel, or only one value, cannot be registered, and saying so beats "no credible match";
// fill that a file does not declare is worth a word of advice whatever the outcome.
#include <string>
#include <vector>

#include "mmreg/raster.h"

namespace mmreg {

// Throws mmreg::Error naming `role` ("reference", "sensed"), the raster and the bands when every
// band's overview in `overviews` (one per entry of `bands`) is all no-data (masked, NaN) or
// constant over its valid pixels.
void checkHasContent(const GeoRaster& raster, const std::vector<int>& bands, const std::vector<Image>& overviews, const char* role);

// Share of `overview`'s pixels that are valid, exactly 0 and joined to its edges by such pixels
// (4-connected): the black collar around a scene cut to a north-up frame, or a sensor's fill,
// when the file does not declare it no-data.
double undeclaredZeroFill(const Image& overview);

// Advice when `band` of `raster` (its overview: `overview`) has such fill over at least
// kMinUndeclaredFill of it and the user did not declare a no-data value (option: -srcnodata or
// -refnodata); empty otherwise. Matching would take the collar's edge for image structure.
// Unsigned integer bands only (imagery): in a DEM or in signed or float data, 0 is a value (the
// Landsat sample's DEM has sea level over 17 % of it).
constexpr double kMinUndeclaredFill = 0.02;
std::string undeclaredFillAdvice(const GeoRaster& raster, int band, const Image& overview, const char* role, const char* option);

}  // namespace mmreg
