#pragma once
// RPC bias compensation (-rpc_refine): an image-space correction of the sensed image's RPCs,
// fitted on the tie points lifted to 3-D with a DEM (Grodecki and Dial 2003).
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "mmreg/global_fit.h"

namespace mmreg {

struct RpcRefinement {
  std::string heights;               // where the tie points' heights came from (DEM, or a constant)
  bool flatGround = false;           // a constant height: relief is not modelled
  // corrected (pixel, line) = (a0 + a1 p + a2 l, b0 + b1 p + b2 l) of the given RPCs' (p, l)
  std::array<double, 6> correction{};
  FitResult fit;                     // the correction's fit, in sensed pixels: inliers, check points, RMSE
  double rmseCheckBeforePx = 0;      // the given RPCs on the same check points
  double sensedPixelSize = NAN;      // ground metres per sensed pixel, for the report (NaN: no CRS)
  double refitErrorPx = 0;           // worst difference of the written RPCs from the corrected model
  std::vector<std::string> metadata; // the corrected "RPC" metadata domain, NAME=VALUE
};

}  // namespace mmreg
