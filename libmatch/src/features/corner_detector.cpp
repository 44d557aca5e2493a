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

std::vector<Keypoint> CornerDetector::detect(const Image& image, int maxPoints) const {
  cv::Mat response;
  cv::cornerMinEigenVal(asMat(image), response, 7, 3);
  return strongestLocalMaxima(response, validMask(image), 4, maxPoints);
}

}  // namespace mmreg
