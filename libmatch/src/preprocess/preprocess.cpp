#include "mmreg/preprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "mmreg/error.h"

namespace mmreg {

const char* modalityName(Modality m) {
  switch (m) {
    case Modality::Optical: return "optical";
    case Modality::Sar: return "sar";
    default: return "auto";
  }
}

bool parseModality(const std::string& t, Modality* out) {
  if (t == "auto") *out = Modality::Auto;
  else if (t == "optical") *out = Modality::Optical;
  else if (t == "sar") *out = Modality::Sar;
  else return false;
  return true;
}

Image combineBands(const std::vector<Image>& bands) {
  if (bands.empty()) throw Error("no band to combine");
  if (bands.size() == 1) return bands[0];
  const std::vector<double> w = bands.size() == 3 ? std::vector<double>{0.299, 0.587, 0.114}
                                                  : std::vector<double>(bands.size(), 1.0 / bands.size());
  Image out(bands[0].width, bands[0].height);
  out.valid.assign(out.pixels.size(), 1);
  for (size_t b = 0; b < bands.size(); ++b) {
    for (size_t i = 0; i < out.pixels.size(); ++i) {
      out.pixels[i] += static_cast<float>(w[b] * bands[b].pixels[i]);
      if (!bands[b].valid.empty() && !bands[b].valid[i]) out.valid[i] = 0;
    }
  }
  return out;
}

// Mean and variance over win x win windows, counting valid pixels only.
static void localMoments(const Image& img, int win, cv::Mat& mean, cv::Mat& var) {
  cv::Mat v = asMat(img), m;
  validMask(img).convertTo(m, CV_32F, 1.0 / 255);
  cv::Mat vm = v.mul(m), n, s, s2;
  const cv::Size k(win, win);
  cv::boxFilter(m, n, CV_32F, k, {-1, -1}, false, cv::BORDER_REFLECT);
  cv::boxFilter(vm, s, CV_32F, k, {-1, -1}, false, cv::BORDER_REFLECT);
  cv::boxFilter(vm.mul(v), s2, CV_32F, k, {-1, -1}, false, cv::BORDER_REFLECT);
  n = cv::max(n, 1.f);
  mean = s / n;
  var = cv::max(s2 / n - mean.mul(mean), 0.f);
}

Modality guessModality(const Image& amp) {
  cv::Mat mean, var;
  localMoments(amp, 7, mean, var);
  std::vector<float> enl;
  for (int y = 3; y + 3 < amp.height; y += 4)
    for (int x = 3; x + 3 < amp.width; x += 4)
      if (amp.isValid(x, y) && mean.at<float>(y, x) > 0) {
        const float m = mean.at<float>(y, x), s2 = var.at<float>(y, x);
        enl.push_back(s2 > 0 ? m * m / s2 : 1e6f);
      }
  if (enl.size() < 16) return Modality::Optical;
  std::nth_element(enl.begin(), enl.begin() + enl.size() / 2, enl.end());
  // Fully developed speckle in amplitude has mean^2/var around 3.7 per look; optical texture is
  // smoother. Measured on all 3MOS tiles: optical never below 10.4, processed SAR from 2 to 40
  // (median 9.8). So the guess is conservative, SAR only below 6, and an optical image is never
  // speckle-filtered; -sensed_type sar forces the SAR path.
  return enl[enl.size() / 2] < 6 ? Modality::Sar : Modality::Optical;
}

bool looksLikeDecibels(const Image& band) {
  std::vector<float> vals;
  for (size_t i = 0; i < band.pixels.size(); ++i)
    if (band.valid.empty() || band.valid[i]) vals.push_back(band.pixels[i]);
  if (vals.size() < 16) return false;
  const auto negative = std::count_if(vals.begin(), vals.end(), [](float v) { return v < 0; });
  if (negative < static_cast<std::ptrdiff_t>(vals.size() / 5)) return false;
  auto pct = [&](double p) {
    const size_t k = static_cast<size_t>(p * (vals.size() - 1));
    std::nth_element(vals.begin(), vals.begin() + k, vals.end());
    return vals[k];
  };
  return pct(0.01) >= -80 && pct(0.99) <= 40;
}

Image amplitudeFromDecibels(const Image& decibels) {
  Image out = decibels;
  for (size_t i = 0; i < out.pixels.size(); ++i)
    out.pixels[i] = out.valid.empty() || out.valid[i] ? std::pow(10.f, out.pixels[i] / 20.f) : 0.f;
  return out;
}

Image leeFilter(const Image& intensity, int win, double looks) {
  cv::Mat mean, var;
  localMoments(intensity, win, mean, var);
  const double cu2 = 1.0 / looks;  // squared coefficient of variation of the speckle
  Image out = intensity;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const double m = mean.at<float>(y, x), v = var.at<float>(y, x);
      const double ci2 = m > 0 ? v / (m * m) : 0;
      const double w = ci2 > 0 ? std::clamp(1.0 - cu2 / ci2, 0.0, 1.0) : 0.0;
      out.at(x, y) = static_cast<float>(m + w * (intensity.at(x, y) - m));
    }
  return out;
}

void normalizeRobust(Image& img, double lowPct, double highPct) {
  std::vector<float> vals;
  vals.reserve(img.pixels.size() / 4 + 1);
  const size_t step = img.pixels.size() > 1000000 ? 4 : 1;
  for (size_t i = 0; i < img.pixels.size(); i += step)
    if (img.valid.empty() || img.valid[i]) vals.push_back(img.pixels[i]);
  if (vals.empty()) return;
  auto pct = [&](double p) {
    const size_t k = std::min(vals.size() - 1, static_cast<size_t>(p / 100.0 * (vals.size() - 1)));
    std::nth_element(vals.begin(), vals.begin() + k, vals.end());
    return vals[k];
  };
  const float lo = pct(lowPct), hi = pct(highPct);
  const float scale = hi > lo ? 1.f / (hi - lo) : 0.f;
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    const bool ok = img.valid.empty() || img.valid[i];
    img.pixels[i] = ok ? std::clamp((img.pixels[i] - lo) * scale, 0.f, 1.f) : 0.f;
  }
}

Image preprocess(const Image& image, Modality modality, bool decibels) {
  Image out = modality == Modality::Sar && decibels ? amplitudeFromDecibels(image) : image;
  if (modality == Modality::Sar) {
    for (auto& v : out.pixels) v = v * v;  // amplitude -> intensity
    out = leeFilter(out, 5, 1.0);
    for (size_t i = 0; i < out.pixels.size(); ++i)
      out.pixels[i] = 10.f * std::log10(std::max(out.pixels[i], 1e-6f));
  }
  normalizeRobust(out);
  return out;
}

}  // namespace mmreg
