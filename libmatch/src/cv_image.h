#pragma once
// Internal bridge between mmreg::Image and OpenCV, without copies where possible.
#include <opencv2/core.hpp>

#include "mmreg/image.h"

namespace mmreg {

inline cv::Mat asMat(Image& img) { return cv::Mat(img.height, img.width, CV_32F, img.pixels.data()); }
inline cv::Mat asMat(const Image& img) {
  return cv::Mat(img.height, img.width, CV_32F, const_cast<float*>(img.pixels.data()));
}
// 8-bit mask, 255 where valid.
inline cv::Mat validMask(const Image& img) {
  if (img.valid.empty()) return cv::Mat(img.height, img.width, CV_8U, cv::Scalar(255));
  cv::Mat m(img.height, img.width, CV_8U, const_cast<std::uint8_t*>(img.valid.data()));
  return m * 255;
}
inline Image imageFromMat(const cv::Mat& m, const cv::Mat& mask = cv::Mat()) {
  Image img(m.cols, m.rows);
  cv::Mat dst = asMat(img);
  m.convertTo(dst, CV_32F);
  if (!mask.empty()) {
    img.valid.resize(static_cast<size_t>(m.cols) * m.rows);
    cv::Mat v(m.rows, m.cols, CV_8U, img.valid.data());
    cv::compare(mask, 0, v, cv::CMP_GT);
    v /= 255;
  }
  return img;
}

}  // namespace mmreg
