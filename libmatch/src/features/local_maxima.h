#pragma once
// Keypoints from a response map: its local maxima within a square suppression radius, on valid
// pixels, strongest first.
#include <opencv2/core.hpp>
#include <vector>

#include "mmreg/features.h"

namespace mmreg {

// response: CV_32F; valid: CV_8U, non-zero where a keypoint may lie. Only positive maxima count.
std::vector<Keypoint> strongestLocalMaxima(const cv::Mat& response, const cv::Mat& valid, int radius, int maxPoints);

}  // namespace mmreg
