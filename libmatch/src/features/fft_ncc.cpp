#include "features/fft_ncc.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace mmreg {

FftNccSearch::FftNccSearch(const std::vector<cv::Mat>& search, cv::Size ts)
    : searchSize_(search[0].size()), templSize_(ts),
      dftSize_(cv::getOptimalDFTSize(search[0].cols), cv::getOptimalDFTSize(search[0].rows)) {
  const int h = ts.height, w = ts.width, oh = searchSize_.height - h + 1, ow = searchSize_.width - w + 1;
  CV_Assert(oh > 0 && ow > 0);
  const double area = static_cast<double>(h) * w;
  energy_ = cv::Mat::zeros(oh, ow, CV_64F);
  for (const auto& s : search) {
    spectra_.push_back(spectrum(s, searchSize_.height));
    cv::Mat s1, s2;
    cv::integral(s, s1, s2, CV_64F, CV_64F);
    for (int v = 0; v < oh; ++v) {
      const double *a0 = s1.ptr<double>(v), *a1 = s1.ptr<double>(v + h);
      const double *b0 = s2.ptr<double>(v), *b1 = s2.ptr<double>(v + h);
      double* e = energy_.ptr<double>(v);
      for (int u = 0; u < ow; ++u) {
        const double a = a1[u + w] - a0[u + w] - a1[u] + a0[u];
        const double b = b1[u + w] - b0[u + w] - b1[u] + b0[u];
        e[u] += b - a * a / area;
      }
    }
  }
}

FftNccSearch::FftNccSearch(const std::vector<cv::Mat>& search, const cv::Mat& templateMask)
    : searchSize_(search[0].size()), templSize_(templateMask.size()),
      dftSize_(cv::getOptimalDFTSize(search[0].cols), cv::getOptimalDFTSize(search[0].rows)) {
  const int oh = searchSize_.height - templSize_.height + 1, ow = searchSize_.width - templSize_.width + 1;
  CV_Assert(oh > 0 && ow > 0 && templateMask.type() == CV_8U);
  templateMask.convertTo(mask_, CV_32F, 1.0 / 255);
  cv::threshold(mask_, mask_, 0, 1, cv::THRESH_BINARY);
  const double n = cv::sum(mask_)[0];
  CV_Assert(n > 0);
  const cv::Mat maskSpec = spectrum(mask_, templSize_.height);
  // Per window under the mask: sum of s^2 minus (sum of s)^2 / n, each a correlation with the mask.
  auto correlate = [&](const cv::Mat& spec) {
    cv::Mat prod, out;
    cv::mulSpectrums(spec, maskSpec, prod, 0, true);
    cv::dft(prod, out, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
    cv::Mat d;
    out(cv::Rect(0, 0, ow, oh)).convertTo(d, CV_64F);
    return d;
  };
  energy_ = cv::Mat::zeros(oh, ow, CV_64F);
  for (const auto& s : search) {
    spectra_.push_back(spectrum(s, searchSize_.height));
    const cv::Mat sum1 = correlate(spectra_.back());
    const cv::Mat sum2 = correlate(spectrum(s.mul(s), searchSize_.height));
    energy_ += sum2 - sum1.mul(sum1) / n;
  }
  mask_.convertTo(mask8_, CV_8U);
  energyFloor_ = 1e-4 * n;  // float FFTs leave round-off of this order where the windows are flat
}

cv::Mat FftNccSearch::spectrum(const cv::Mat& m, int rows) const {
  cv::Mat padded = cv::Mat::zeros(dftSize_, CV_32F), out;
  m.copyTo(padded(cv::Rect(cv::Point(), m.size())));
  cv::dft(padded, out, 0, rows);
  return out;
}

cv::Mat FftNccSearch::ncc(const std::vector<cv::Mat>& tmpl) const {
  CV_Assert(tmpl.size() == spectra_.size() && tmpl[0].size() == templSize_);
  cv::Mat numSpec;
  double tEnergy = 0;
  for (size_t k = 0; k < tmpl.size(); ++k) {
    cv::Mat t;
    if (mask_.empty()) {
      t = tmpl[k] - cv::mean(tmpl[k])[0];
    } else {
      t = (tmpl[k] - cv::mean(tmpl[k], mask8_)[0]).mul(mask_);
    }
    tEnergy += t.dot(t);
    cv::Mat prod;
    cv::mulSpectrums(spectra_[k], spectrum(t, templSize_.height), prod, 0, true);  // correlation: S * conj(T)
    numSpec = numSpec.empty() ? prod : numSpec + prod;
  }
  cv::Mat num;
  cv::dft(numSpec, num, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
  cv::Mat out(energy_.size(), CV_64F);
  for (int v = 0; v < out.rows; ++v)
    for (int u = 0; u < out.cols; ++u) {
      const double e = energy_.at<double>(v, u);
      out.at<double>(v, u) = (e > energyFloor_ && tEnergy > 1e-9) ? num.at<float>(v, u) / std::sqrt(tEnergy * e) : 0.0;
    }
  return out;
}

double parabolaPeak(double a, double b, double c) {
  const double d = a - 2 * b + c;
  return std::abs(d) < 1e-12 ? 0.0 : std::clamp(0.5 * (a - c) / d, -0.5, 0.5);
}

}  // namespace mmreg
