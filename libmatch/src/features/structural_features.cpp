#include "features/structural_features.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"

namespace mmreg {

std::vector<cv::Mat> structuralFeatures(const Image& image, const StructuralFeatureOptions& opt) {
  const cv::Mat img = asMat(image);
  cv::Mat gx, gy;
  cv::Sobel(img, gx, CV_32F, 1, 0, 3, 1.0 / 8, 0, cv::BORDER_REFLECT);
  cv::Sobel(img, gy, CV_32F, 0, 1, 3, 1.0 / 8, 0, cv::BORDER_REFLECT);
  const int n = opt.orientations;
  std::vector<cv::Mat> ch(n);
  for (int k = 0; k < n; ++k) {
    const double th = CV_PI * k / n;
    ch[k] = cv::abs(gx * std::cos(th) + gy * std::sin(th));
    cv::GaussianBlur(ch[k], ch[k], cv::Size(0, 0), opt.sigma, opt.sigma, cv::BORDER_REFLECT);
  }
  // Smooth across orientation with a circular [1 2 1]/4 kernel.
  std::vector<cv::Mat> sm(n);
  for (int k = 0; k < n; ++k) sm[k] = 0.25 * ch[(k + n - 1) % n] + 0.5 * ch[k] + 0.25 * ch[(k + 1) % n];
  cv::Mat norm2 = cv::Mat::zeros(img.size(), CV_32F);
  for (auto& c : sm) norm2 += c.mul(c);
  cv::Mat inv;
  cv::sqrt(norm2, inv);
  inv = 1.0 / (inv + 1e-3);
  cv::Mat mask = validMask(image);
  if (!image.valid.empty()) cv::erode(mask, mask, cv::Mat(), {-1, -1}, 2);  // no edges from nodata borders
  for (auto& c : sm) {
    c = c.mul(inv);
    c.setTo(0, mask == 0);
  }
  return sm;
}

}  // namespace mmreg
