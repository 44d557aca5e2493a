#include "features/log_gabor.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "cv_image.h"

namespace mmreg {
namespace {

// Frequency coordinates of a DFT of rows x cols, cycles per pixel, in the DFT's layout.
void frequencyGrid(int rows, int cols, cv::Mat& radius, cv::Mat& angle) {
  radius.create(rows, cols, CV_32F);
  angle.create(rows, cols, CV_32F);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) {
      const double u = (x < (cols + 1) / 2 ? x : x - cols) / static_cast<double>(cols);
      const double v = (y < (rows + 1) / 2 ? y : y - rows) / static_cast<double>(rows);
      radius.at<float>(y, x) = static_cast<float>(std::hypot(u, v));
      angle.at<float>(y, x) = static_cast<float>(std::atan2(v, u));
    }
}

}  // namespace

OrientationField logGaborOrientation(const Image& image, const LogGaborOptions& opt) {
  const cv::Mat valid = validMask(image);
  cv::Mat filled = asMat(image).clone();
  filled.setTo(cv::mean(asMat(image), valid), ~valid);
  // Reflected margins of the longest wavelength keep the DFT's wrap-around out of the image.
  const int margin = static_cast<int>(std::ceil(opt.minWavelength * std::pow(opt.wavelengthFactor, opt.scales - 1)));
  const int rows = cv::getOptimalDFTSize(image.height + 2 * margin), cols = cv::getOptimalDFTSize(image.width + 2 * margin);
  cv::Mat padded;
  cv::copyMakeBorder(filled, padded, margin, rows - image.height - margin, margin, cols - image.width - margin,
                     cv::BORDER_REFLECT101);
  cv::Mat spectrum;
  cv::dft(padded, spectrum, cv::DFT_COMPLEX_OUTPUT);
  cv::Mat radius, angle;
  frequencyGrid(rows, cols, radius, angle);

  // Radial parts, one per scale, with a low-pass that keeps the finest filter off the corners
  // of the spectrum (Butterworth, cut-off 0.45 cycles/pixel, order 15).
  std::vector<cv::Mat> radial(opt.scales);
  const double logBandwidth = 2 * std::pow(std::log(opt.bandwidth), 2);
  for (int s = 0; s < opt.scales; ++s) {
    const double f0 = 1.0 / (opt.minWavelength * std::pow(opt.wavelengthFactor, s));
    radial[s].create(rows, cols, CV_32F);
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x) {
        const double f = radius.at<float>(y, x);
        const double lowPass = 1 / (1 + std::pow(f / 0.45, 30));
        radial[s].at<float>(y, x) = f > 0 ? static_cast<float>(std::exp(-std::pow(std::log(f / f0), 2) / logBandwidth) * lowPass) : 0.f;
      }
  }
  const cv::Rect inside(margin, margin, image.width, image.height);
  cv::Mat sum = cv::Mat::zeros(image.height, image.width, CV_32F);
  cv::Mat vx = sum.clone(), vy = sum.clone();
  const double angularSigma = CV_PI / opt.orientations / 1.2;
  for (int o = 0; o < opt.orientations; ++o) {
    const double theta = o * CV_PI / opt.orientations;
    // One-sided in angle: the response is analytic, its modulus the local energy of both phases.
    cv::Mat spread(rows, cols, CV_32F);
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x) {
        const double d = std::remainder(angle.at<float>(y, x) - theta, 2 * CV_PI);
        spread.at<float>(y, x) = static_cast<float>(std::exp(-d * d / (2 * angularSigma * angularSigma)));
      }
    cv::Mat amplitude = cv::Mat::zeros(image.height, image.width, CV_32F);
    for (int s = 0; s < opt.scales; ++s) {
      const cv::Mat filter = radial[s].mul(spread);
      cv::Mat planes[2], filtered, response;
      cv::split(spectrum, planes);
      planes[0] = planes[0].mul(filter);
      planes[1] = planes[1].mul(filter);
      cv::merge(planes, 2, filtered);
      cv::idft(filtered, response, cv::DFT_SCALE | cv::DFT_COMPLEX_OUTPUT);
      cv::split(response, planes);
      cv::Mat modulus;
      cv::magnitude(planes[0], planes[1], modulus);
      amplitude += modulus(inside);
    }
    sum += amplitude;
    vx += amplitude * std::cos(2 * theta);
    vy += amplitude * std::sin(2 * theta);
  }
  OrientationField out;
  out.amplitude = sum;
  out.orientation.create(image.height, image.width, CV_32F);
  out.coherence.create(image.height, image.width, CV_32F);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const float a = vx.at<float>(y, x), b = vy.at<float>(y, x), m = sum.at<float>(y, x);
      float phi = 0.5f * std::atan2(b, a);
      if (phi < 0) phi += static_cast<float>(CV_PI);
      out.orientation.at<float>(y, x) = phi;
      out.coherence.at<float>(y, x) = m > 0 ? std::hypot(a, b) / m : 0.f;
    }
  out.amplitude.setTo(0, ~valid);
  out.coherence.setTo(0, ~valid);
  out.orientation.setTo(0, ~valid);
  return out;
}

}  // namespace mmreg
