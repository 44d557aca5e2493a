#pragma once
// -rpc_refine's own matching: tie points re-measured through the sensed RPCs themselves (with
// the DEM's heights), so that templates meet the terrain as the camera saw it, not through a
// planar model.
#include "mmreg/coregister.h"
#include "mmreg/raster.h"
#include "mmreg/rpc.h"

namespace mmreg {

// Starting from the correction fitted on `registered`'s tie points, twice: match one pass
// through the corrected RPCs, fit the correction again. Throws mmreg::Error.
RpcRefinement refineRpcByMatching(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& match,
                                  const FitOptions& fit, const MatchResult& registered, double sensedPixelSize,
                                  const ProgressSpan& progress);

}  // namespace mmreg
