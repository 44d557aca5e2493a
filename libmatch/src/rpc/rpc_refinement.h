#pragma once
// Fits the correction of the sensed RPCs on the tie points (the writer is in mmreg/outputs.h).
#include "mmreg/coregister.h"
#include "mmreg/raster.h"
#include "mmreg/rpc.h"

namespace mmreg {

// Before any matching: the sensed raster has RPCs, the reference a CRS, and the DEM (when
// given) opens, has a CRS and covers the sensed footprint over the reference. Throws Error.
void checkRpcInputs(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& match);

// The correction of the sensed RPCs that best maps them onto the tie points (each reference
// position lifted to 3-D with the DEM or the constant height), fitted robustly with check
// points held out; translation, or affine when there are enough tie points.
RpcRefinement refineRpc(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& match, const FitOptions& fit,
                        const std::vector<TiePoint>& points, double sensedPixelSize);

}  // namespace mmreg
