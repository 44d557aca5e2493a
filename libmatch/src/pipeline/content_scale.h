#pragma once
// How much coarser than the processing grid the images' structure is. Imagery resampled onto a
// finer grid than it was taken at (a 10 m scene on a 1 m grid) has no structure at the pixel
// scale, and correlation peaks there are broad and drift: such images are matched where they
// have structure.
#include "mmreg/geometry.h"
#include "pipeline/match_context.h"

namespace mmreg {

// Power of two (1 to 256): the smallest factor by which the processing grid (scale reference
// pixels per processing pixel) can be coarsened before halving the resolution stops doubling
// the images' mean gradient, measured on windows over the overlap of both images. The sensed
// image is measured in its own grid through `m`. Windows are measured to a factor of 16, and
// measured again 16 times coarser while they show no structure up to there.
int contentFactor(const MatchContext& context, const PixelMapping& m, const PixelWindow& overlap, double scale);

}  // namespace mmreg
