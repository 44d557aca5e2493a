#pragma once
// The search for a verified model: each start (the sensed georeferencing, or the coarse pass's
// hypotheses) through the matching passes, the global fit and the verdict.
#include "mmreg/coregister.h"
#include "mmreg/raster.h"

namespace mmreg {

struct Registration {
  MatchResult match;
  FitResult fit;
  Verdict verdict;
  std::vector<std::string> warnings;  // for stderr, the QGIS log and the report
};

// Tries the starts in order until one gives a verified model: the georeferencing first (unless
// -coarse always), then, when there is none, when asked, or when the georeferencing led to no
// verified model under -coarse auto, each coarse hypothesis. Returns the first verified result,
// else the best refused one (doubtful before failed), its verdict saying why. Throws
// mmreg::Error when no start produced a model at all.
Registration registerRasters(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& match,
                             const FitOptions& fit, const VerifyOptions& verify, const ProgressSpan& progress);

// The verdict on a model fitted to given tie points (applyTiePoints): the sensed
// georeferencing, when it has one, is the geometry prior, else the model's own similarity part
// (so only its anisotropy is judged).
Verdict verifyGivenTiePoints(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& match,
                             const FitOptions& fit, const VerifyOptions& verify, const std::vector<TiePoint>& points,
                             const FitResult& result, const ProgressSpan& progress);

}  // namespace mmreg
