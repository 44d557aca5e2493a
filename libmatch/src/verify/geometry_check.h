#pragma once
// Is the model's geometry plausible? Its local linear part, anywhere over the overlap, against
// the one the georeferencing or the coarse estimate predicted: scale, rotation, anisotropy.
#include <string>

#include "mmreg/model.h"
#include "mmreg/verdict.h"

namespace mmreg {

// LinearPrior::source of a start from the coarse pass (the verdict's reasons name it; its
// bounds are widened by one step of that search).
inline constexpr const char* kCoarsePriorSource = "coarse alignment";

// What the start of the search predicted for the linear part of sensed pixel -> reference
// pixel: [a b; c d] (x' = a x + b y, y' = c x + d y).
struct LinearPrior {
  std::string source;  // "georeferencing" | kCoarsePriorSource
  double a = 1, b = 0, c = 0, d = 1;
  // The prediction's own uncertainty, which widens the options' bounds: a coarse estimate is
  // good to about one step of its search, a georeferencing is taken as exact.
  double scaleSlack = 0, rotationSlackDeg = 0;
};

// forward: sensed -> reference pixels, inverse: reference -> sensed; overlap in reference pixels.
// The bounds are the options' widened by the prior's slack.
GeometryCheck checkGeometry(const Transform2D& forward, const Transform2D& inverse, const LinearPrior& prior,
                            const PixelWindow& overlap, const VerifyOptions& options);

}  // namespace mmreg
