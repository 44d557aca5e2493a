#include "features/corner_detector.h"

#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/local_maxima.h"

namespace mmreg {

std::vector<Keypoint> CornerDetector::detect(const Image& image, int maxPoints) const {
  cv::Mat response;
  cv::cornerMinEigenVal(asMat(image), response, 7, 3);
  return strongestLocalMaxima(response, validMask(image), 4, maxPoints);
}

}  // namespace mmreg
