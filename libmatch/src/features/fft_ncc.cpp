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
    cv::Mat sp = cv::Mat::zeros(dftSize_, CV_32F), fs;
    s.copyTo(sp(cv::Rect(cv::Point(), searchSize_)));
    cv::dft(sp, fs, 0, searchSize_.height);
    spectra_.push_back(fs);
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

cv::Mat FftNccSearch::ncc(const std::vector<cv::Mat>& tmpl) const {
  CV_Assert(tmpl.size() == spectra_.size() && tmpl[0].size() == templSize_);
  cv::Mat numSpec;
  double tEnergy = 0;
  for (size_t k = 0; k < tmpl.size(); ++k) {
    cv::Mat t = tmpl[k] - cv::mean(tmpl[k])[0];
    tEnergy += t.dot(t);
    cv::Mat tp = cv::Mat::zeros(dftSize_, CV_32F), ft, prod;
    t.copyTo(tp(cv::Rect(cv::Point(), templSize_)));
    cv::dft(tp, ft, 0, templSize_.height);
    cv::mulSpectrums(spectra_[k], ft, prod, 0, true);  // correlation: S * conj(T)
    numSpec = numSpec.empty() ? prod : numSpec + prod;
  }
  cv::Mat num;
  cv::dft(numSpec, num, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
  cv::Mat out(energy_.size(), CV_64F);
  for (int v = 0; v < out.rows; ++v)
    for (int u = 0; u < out.cols; ++u) {
      const double e = energy_.at<double>(v, u);
      out.at<double>(v, u) = (e > 1e-9 && tEnergy > 1e-9) ? num.at<float>(v, u) / std::sqrt(tEnergy * e) : 0.0;
    }
  return out;
}

double parabolaPeak(double a, double b, double c) {
  const double d = a - 2 * b + c;
  return std::abs(d) < 1e-12 ? 0.0 : std::clamp(0.5 * (a - c) / d, -0.5, 0.5);
}

}  // namespace mmreg
