#pragma once
// Dense structural features that survive the SAR-optical intensity gap: per-pixel channels of
// oriented gradient magnitude, smoothed in space and across orientation, then L2-normalised.
// This follows the idea of CFOG (Ye et al., "Fast and robust matching for multimodal remote
// sensing image registration", IEEE TGRS 57(11), 2019); the code is ours.
#include <opencv2/core.hpp>
#include <vector>

#include "mmreg/image.h"

namespace mmreg {

struct StructuralFeatureOptions {
  int orientations = 9;   // over [0, pi): gradient sign flips between modalities, so use |.|
  double sigma = 0.8;     // spatial Gaussian, pixels
  // Per pixel, every textured pixel weighs the same: a broad map of where edges are, which
  // suits thin drawn lines (maps). By the energy over a Gaussian of regionSigma px, an edge
  // keeps its strength against weak texture and noise around it (depth against optical).
  // None: the smoothed oriented magnitudes themselves (what a detector's peakiness reads).
  enum class Normalisation { PerPixel, Regional, None } normalisation = Normalisation::PerPixel;
  double regionSigma = 2;
};

// One CV_32F channel per orientation; invalid pixels get all-zero vectors.
// Where the channels may be non-zero (CV_8U, 255): valid pixels away from nodata borders.
cv::Mat featureMask(const Image& image);

std::vector<cv::Mat> structuralFeatures(const Image& image, const StructuralFeatureOptions& opt = {});

// The same channels from given gradients (CV_32F, the image's size): the image's validity
// mask zeroes invalid pixels and their 2 px border.
std::vector<cv::Mat> orientedChannels(const cv::Mat& gx, const cv::Mat& gy, const Image& image,
                                      const StructuralFeatureOptions& opt = {});

// Speckle-robust gradients (ROEWA-style, after Fjortoft et al. 1998): per axis, the log ratio
// of the mean intensity on either side of the pixel, over `half` x (2 half + 1) windows. A
// ratio, unlike a difference, has the same false-edge rate in bright and dark areas under
// multiplicative speckle. `intensity` is linear (not dB).
void ratioGradients(const Image& intensity, int half, cv::Mat& gx, cv::Mat& gy);

}  // namespace mmreg
