#pragma once
// Classical corners (minimum eigenvalue of the structure tensor, Shi & Tomasi 1994) with
// non-maximum suppression: the area matcher's template centres, and a baseline detector.
#include "mmreg/features.h"

namespace mmreg {

class CornerDetector : public Detector {
 public:
  std::string name() const override { return "corner"; }
  std::vector<Keypoint> detect(const Image& image, int maxPoints) const override;
};

}  // namespace mmreg
