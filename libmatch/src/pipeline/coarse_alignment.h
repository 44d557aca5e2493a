#pragma once
// Coarse global pass for a sensed raster with no georeferencing, or one off by more than the
// search margin: an exhaustive search over rotation and scale on overviews, with translation
// found by FFT correlation of structural features for each (rotation, scale) pair; the
// template is the largest disc of valid sensed pixels.
#include <memory>
#include <vector>

#include "mmreg/image.h"
#include "mmreg/model.h"
#include "mmreg/progress.h"

namespace mmreg {

struct CoarseOptions {
  double angleStepDeg = 5;  // full circle
  double minScale = 0.5, maxScale = 2.0;  // about the nominal scale given by the overviews
  int scaleStepsPerOctave = 3;
  // A weaker peak is no credible alignment. The raw correlation falls as the template grows
  // (a 150 px disc template put Landsat's true peak at 0.10, z 7.6); the score below decides.
  double minNcc = 0.06;
  // Nor is one less than this many standard deviations above its correlation map. The best of
  // some 60 000 placements of noise reaches about 4.7, so a peak between 4 and 5 may be noise:
  // the fine passes and the verdict decide. Many right cross-modal peaks stand only 4.3-4.9
  // above their maps.
  double minScore = 4;
  int maxHypotheses = 4;  // distinct (rotation, scale) peaks kept, best first
  // Spatial smoothing of the structural features on the overviews, pixels (the fine passes use
  // 0.8). Smoother channels weigh the larger structures that both modalities share over fine
  // texture: 1.6 registered 23 of 45 unreferenced cases against 19 at 0.8 (map 1 -> 4 of 10).
  double featureSigma = 1.6;
};

struct CoarseAlignment {
  std::unique_ptr<Transform2D> forward;  // sensed full-res pixel -> reference full-res pixel
  std::unique_ptr<Transform2D> inverse;
  double rotationDeg = 0, scale = 1, ncc = 0;
  double score = 0;  // the peak in standard deviations of its correlation map
};

// ref: preprocessed reference overview, refScale reference pixels per overview pixel.
// sen: preprocessed sensed overview at about the same ground resolution, senScale sensed
// pixels per overview pixel. Returns up to options.maxHypotheses alignments whose rotation or
// scale differ, strongest first (by score: the raw correlation favours small templates), each
// refined locally. Throws mmreg::Error when
// no credible alignment exists.
std::vector<CoarseAlignment> coarseAlign(const Image& ref, double refScale, const Image& sen, double senScale,
                                         const CoarseOptions& options, const ProgressSpan& progress);

}  // namespace mmreg
