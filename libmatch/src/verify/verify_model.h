#pragma once
// The verdict on one fitted model: support, geometry and independent confirmation together.
#include "mmreg/global_fit.h"
#include "mmreg/progress.h"
#include "mmreg/verdict.h"
#include "pipeline/tile_reader.h"
#include "verify/geometry_check.h"

namespace mmreg {

struct VerifyInputs {
  const TileReader& reader;  // reads at the processing scale the model was matched at
  double scale;              // reference pixels per processing pixel
  PixelWindow overlap;       // reference pixels
  LinearPrior prior;         // what the search started from
  double inlierThreshold;    // reference pixels: the tolerated predicted error away from the inliers
  int threads = 0;           // -threads: 0 is one per core
};

Verdict verifyModel(const std::vector<TiePoint>& points, const FitResult& fit, const VerifyInputs& inputs,
                    const VerifyOptions& options, const ProgressSpan& progress);

}  // namespace mmreg
