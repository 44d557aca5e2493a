#pragma once
// 3x3 projective transforms of pixel positions (row-major), for truths and training warps.
#include <array>

#include "mmreg/geometry.h"

namespace mmreg {

using Homography = std::array<double, 9>;

Homography multiply(const Homography& a, const Homography& b);  // a after b
Homography inverse(const Homography& m);
Point2 applyH(const Homography& m, Point2 p);

}  // namespace mmreg
