#pragma once
#include "mmreg/coregister.h"
#include "pipeline/match_context.h"

namespace mmreg {

// Tie points from a starting estimate of the mapping: a wide first pass, then refinement
// passes through each pass's fit (docs/ALGORITHM.md). reachPx: how far off the start may be,
// reference pixels; 0 for a georeferenced start (-max_offset, or 256 pixels, searched with the
// full -margin). Throws mmreg::Error when a pass finds too few matches for its fit.
MatchResult matchFrom(const MatchContext& context, const PixelMapping& start, const FitOptions& fit, double reachPx,
                      const ProgressSpan& progress);

// One pass like the final one (its margin and templates, at `scale` reference pixels per
// processing pixel) through a mapping that is already close: tie points, no fit.
MatchResult matchThrough(const MatchContext& context, const PixelMapping& mapping, double scale, const ProgressSpan& progress);

}  // namespace mmreg
