#pragma once
// Are there enough inliers for the model's parameters, spread over the overlap so that the
// model holds away from them, and are the check points apart from the fitted points?
#include "mmreg/global_fit.h"
#include "mmreg/verdict.h"

namespace mmreg {

// overlap: in reference pixels.
SupportCheck checkSupport(const std::vector<TiePoint>& points, const FitResult& fit, const PixelWindow& overlap);

}  // namespace mmreg
