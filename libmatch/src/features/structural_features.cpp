#include "features/structural_features.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/dense_features.h"

namespace mmreg {

std::vector<cv::Mat> structuralFeatures(const Image& image, const StructuralFeatureOptions& opt) {
  const cv::Mat img = asMat(image);
  cv::Mat gx, gy;
  cv::Sobel(img, gx, CV_32F, 1, 0, 3, 1.0 / 8, 0, cv::BORDER_REFLECT);
  cv::Sobel(img, gy, CV_32F, 0, 1, 3, 1.0 / 8, 0, cv::BORDER_REFLECT);
  return orientedChannels(gx, gy, image, opt);
}

cv::Mat featureMask(const Image& image) {
  cv::Mat mask = validMask(image);
  if (!image.valid.empty()) cv::erode(mask, mask, cv::Mat(), {-1, -1}, 2);  // no edges from nodata borders
  return mask;
}

std::vector<cv::Mat> StructuralDenseFeatures::compute(const Image& image) const { return structuralFeatures(image); }

std::vector<cv::Mat> orientedChannels(const cv::Mat& gx, const cv::Mat& gy, const Image& image, const StructuralFeatureOptions& opt) {
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
  const cv::Mat mask = featureMask(image);
  if (opt.normalisation == StructuralFeatureOptions::Normalisation::None) {
    for (auto& c : sm) c.setTo(0, mask == 0);
    return sm;
  }
  cv::Mat norm2 = cv::Mat::zeros(gx.size(), CV_32F);
  for (auto& c : sm) norm2 += c.mul(c);
  if (opt.normalisation == StructuralFeatureOptions::Normalisation::Regional)
    cv::GaussianBlur(norm2, norm2, cv::Size(0, 0), opt.regionSigma, opt.regionSigma, cv::BORDER_REFLECT);
  cv::Mat inv;
  cv::sqrt(norm2, inv);
  inv = 1.0 / (inv + 1e-3);
  for (auto& c : sm) {
    c = c.mul(inv);
    c.setTo(0, mask == 0);
  }
  return sm;
}

void ratioGradients(const Image& intensity, int half, cv::Mat& gx, cv::Mat& gy) {
  cv::Mat img;
  cv::max(asMat(intensity), 0.f, img);
  // Mean over half x (2 half + 1) (or its transpose) centred on each pixel; the side windows
  // are its copies shifted by (half + 1) / 2 px.
  cv::Mat mx, my;
  cv::boxFilter(img, mx, CV_32F, {half, 2 * half + 1}, {-1, -1}, true, cv::BORDER_REFLECT);
  cv::boxFilter(img, my, CV_32F, {2 * half + 1, half}, {-1, -1}, true, cv::BORDER_REFLECT);
  const int d = (half + 1) / 2;
  auto shifted = [](const cv::Mat& m, int dx, int dy) {
    const cv::Mat t = (cv::Mat_<double>(2, 3) << 1, 0, -dx, 0, 1, -dy);
    cv::Mat out;
    cv::warpAffine(m, out, t, m.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
    return out;
  };
  const float eps = 1e-4f;
  cv::Mat r, l;
  cv::log(shifted(mx, d, 0) + eps, r);
  cv::log(shifted(mx, -d, 0) + eps, l);
  gx = r - l;
  cv::log(shifted(my, 0, d) + eps, r);
  cv::log(shifted(my, 0, -d) + eps, l);
  gy = r - l;
}

}  // namespace mmreg
