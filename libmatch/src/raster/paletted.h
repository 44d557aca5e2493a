#pragma once
// Bands of colour indices (paletted maps and classifications): their values are no intensities.
#include <gdal.h>

namespace mmreg {

// Whether `band` holds indices into its colour table.
bool isPaletted(GDALRasterBandH band);

}  // namespace mmreg
