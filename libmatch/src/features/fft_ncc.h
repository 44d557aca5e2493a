#pragma once
#include <opencv2/core.hpp>
#include <vector>

namespace mmreg {

// Normalised cross-correlation of multi-channel templates of a fixed size against every
// placement wholly inside a larger multi-channel search image, computed with FFTs. Channels
// are summed: NCC = sum_k <T_k - mean T_k, S_k> / sqrt(sum_k |T_k - mean|^2 * sum_k |S_k - mean S_k|^2).
// The search spectra and window energies are computed once, so many templates are cheap.
class FftNccSearch {
 public:
  FftNccSearch(const std::vector<cv::Mat>& search, cv::Size templateSize);
  // Templates that count only where templateMask (CV_8U, non-zero) is set: means, energies
  // and products are taken over the mask's pixels (after Padfield, "Masked object registration
  // in the Fourier domain", IEEE TIP 21(5), 2012). One mask for all templates, so that a
  // rotation-invariant one (a disc) keeps the search windows' energies computed once.
  FftNccSearch(const std::vector<cv::Mat>& search, const cv::Mat& templateMask);
  // CV_64F map of size (H-h+1) x (W-w+1); 0 where the search window or the template is flat.
  cv::Mat ncc(const std::vector<cv::Mat>& tmpl) const;

 private:
  cv::Mat spectrum(const cv::Mat& m, int rows) const;  // of m zero-padded to the DFT size
  cv::Size searchSize_, templSize_, dftSize_;
  std::vector<cv::Mat> spectra_;
  cv::Mat mask_, mask8_;  // the template mask as CV_32F 0/1 and CV_8U; empty: the whole template counts
  double energyFloor_ = 1e-9;  // below it a window counts as flat
  cv::Mat energy_;  // zero-mean energy of each search window (under the mask), summed over channels
};

inline cv::Mat multiChannelNcc(const std::vector<cv::Mat>& tmpl, const std::vector<cv::Mat>& search) {
  return FftNccSearch(search, tmpl[0].size()).ncc(tmpl);
}

// multiChannelNcc over the template's pixels where templateMask (CV_8U) is set; the plain one
// where it is set everywhere.
inline cv::Mat maskedMultiChannelNcc(const std::vector<cv::Mat>& tmpl, const cv::Mat& templateMask,
                                     const std::vector<cv::Mat>& search) {
  if (cv::countNonZero(templateMask) == static_cast<int>(templateMask.total())) return multiChannelNcc(tmpl, search);
  return FftNccSearch(search, templateMask).ncc(tmpl);
}

// Parabola vertex offset through three samples, clamped to [-0.5, 0.5].
double parabolaPeak(double left, double centre, double right);

}  // namespace mmreg
