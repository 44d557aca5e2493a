#pragma once
// Classical corners (minimum eigenvalue of the structure tensor, Shi & Tomasi 1994) with
// non-maximum suppression: the area matcher's template centres, and a baseline detector.
#include <opencv2/core.hpp>

#include "mmreg/features.h"

namespace mmreg {

// The corner response of `image` (CV_32F, its size), -1 where the image is invalid or within
// 4 px of an invalid pixel: the edge between data and nodata (a cloud mask, a scene edge) is
// the strongest corner of all, and no structure of the scene.
cv::Mat cornerResponse(const Image& image);

// The share of valid pixels (mask: CV_8U, non-zero valid) in the side x side window centred on
// each pixel as a template box is (from x - side / 2), CV_32F.
cv::Mat windowValidShare(const cv::Mat& mask, int side);

class CornerDetector : public Detector {
 public:
  std::string name() const override { return "corner"; }
  std::vector<Keypoint> detect(const Image& image, int maxPoints) const override;
};

}  // namespace mmreg
