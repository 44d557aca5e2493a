#include "features/corner_detector.h"

#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/local_maxima.h"

namespace mmreg {

cv::Mat cornerResponse(const Image& image) {
  cv::Mat response;
  cv::cornerMinEigenVal(asMat(image), response, 7, 3);
  if (image.valid.empty()) return response;
  cv::Mat inside;
  cv::erode(validMask(image), inside, cv::Mat(), {-1, -1}, 4);
  response.setTo(-1, inside == 0);
  return response;
}

cv::Mat windowValidShare(const cv::Mat& mask, int side) {
  cv::Mat share;
  // The anchor at side / 2 makes each sum run over [x - side / 2, x - side / 2 + side).
  cv::boxFilter(mask, share, CV_32F, {side, side}, {side / 2, side / 2}, true, cv::BORDER_CONSTANT);
  return share / 255;
}

std::vector<Keypoint> CornerDetector::detect(const Image& image, int maxPoints) const {
  cv::Mat response;
  cv::cornerMinEigenVal(asMat(image), response, 7, 3);
  return strongestLocalMaxima(response, validMask(image), 4, maxPoints);
}

}  // namespace mmreg
