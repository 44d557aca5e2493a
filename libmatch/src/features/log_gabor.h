#pragma once
// Phase-based local orientation from a bank of log-Gabor filters (Field 1987; the filter
// design follows Kovesi's phase congruency work). Each orientation's amplitude, summed over
// scales, measures how much structure runs across that direction whatever its contrast or
// sign; the dominant orientation per pixel is what RIFT's maximum index map records (Li, Hu &
// Ai, "RIFT: multi-modal image matching based on radiation-variation insensitive feature
// transform", IEEE TIP 29, 2020). The code is ours.
#include <opencv2/core.hpp>

#include "mmreg/image.h"

namespace mmreg {

struct LogGaborOptions {
  int scales = 4;
  int orientations = 6;           // over [0, pi)
  double minWavelength = 3;       // pixels, the finest scale
  double wavelengthFactor = 2.1;  // between scales
  double bandwidth = 0.55;        // sigma of the radial Gaussian on log frequency, as a ratio (Kovesi's sigmaOnf)
};

struct OrientationField {
  cv::Mat amplitude;    // CV_32F: amplitude summed over scales and orientations
  cv::Mat orientation;  // CV_32F: dominant orientation in [0, pi), radians (the filters' frequency direction)
  cv::Mat coherence;    // CV_32F in [0, 1]: how much the amplitude agrees on that orientation
};

// Invalid pixels are filled with the valid mean first, so no-data edges do not ring as
// structure; their outputs are zero.
OrientationField logGaborOrientation(const Image& image, const LogGaborOptions& options = {});

}  // namespace mmreg
