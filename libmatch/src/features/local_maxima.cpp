#include "features/local_maxima.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace mmreg {

std::vector<Keypoint> strongestLocalMaxima(const cv::Mat& response, const cv::Mat& valid, int radius, int maxPoints) {
  cv::Mat dilated;
  cv::dilate(response, dilated, cv::getStructuringElement(cv::MORPH_RECT, {2 * radius + 1, 2 * radius + 1}));
  std::vector<Keypoint> out;
  for (int y = 0; y < response.rows; ++y)
    for (int x = 0; x < response.cols; ++x) {
      const float r = response.at<float>(y, x);
      if (r > 0 && r >= dilated.at<float>(y, x) && valid.at<uchar>(y, x)) out.push_back({{x + 0.5, y + 0.5}, r});
    }
  std::sort(out.begin(), out.end(), [](const Keypoint& a, const Keypoint& b) { return a.score > b.score; });
  if (static_cast<int>(out.size()) > maxPoints) out.resize(std::max(0, maxPoints));
  return out;
}

}  // namespace mmreg
