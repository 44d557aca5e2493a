#pragma once
// Coarse global pass for a sensed raster with no georeferencing, or one off by more than the
// search margin: an exhaustive search over rotation and scale on overviews, with translation
// found by FFT correlation of structural features for each (rotation, scale) pair.
#include <memory>

#include "mmreg/image.h"
#include "mmreg/model.h"
#include "mmreg/progress.h"

namespace mmreg {

struct CoarseOptions {
  double angleStepDeg = 5;  // full circle
  double minScale = 0.5, maxScale = 2.0;
  int scaleStepsPerOctave = 3;
  double minNcc = 0.12;  // a weaker best peak means no credible alignment
};

struct CoarseAlignment {
  std::unique_ptr<Transform2D> forward;  // sensed full-res pixel -> reference full-res pixel
  std::unique_ptr<Transform2D> inverse;
  double rotationDeg = 0, scale = 1, ncc = 0;
};

// ref: preprocessed reference overview, refScale reference pixels per overview pixel.
// sen: preprocessed sensed overview at about the same ground resolution, senScale sensed
// pixels per overview pixel. Throws mmreg::Error when no credible alignment exists.
CoarseAlignment coarseAlign(const Image& ref, double refScale, const Image& sen, double senScale,
                            const CoarseOptions& options, const ProgressSpan& progress);

}  // namespace mmreg
