#pragma once
// Reading the two rasters of a job at once. GDAL allows one thread per dataset at a time, so a
// whole-raster read of the reference and one of the sensed image can run side by side.
#include <functional>

#include "mmreg/raster.h"

namespace mmreg {

// Runs `onRef` on a second thread while `onSen` runs on this one (in turn when both are the same
// dataset). Rethrows the sensed side's exception first, else the reference side's.
void readBothRasters(const GeoRaster& ref, const GeoRaster& sen, const std::function<void()>& onRef,
                     const std::function<void()>& onSen);

}  // namespace mmreg
