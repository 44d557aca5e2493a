#pragma once
// Coarse global pass for a sensed raster with no georeferencing, or one off by more than the
// search margin: an exhaustive search over rotation and scale on overviews, with translation
// found by FFT correlation of structural features for each (rotation, scale) pair, once per
// normalisation of the features; the template is the largest disc of valid sensed pixels. The
// strongest peaks of every search are then ranked together by how many parts of the template
// agree with them.
#include <memory>
#include <vector>

#include "features/structural_features.h"
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
  // some 60 000 placements of noise reaches about 4.7, and many right cross-modal peaks stand
  // only 3-5 above their maps: the floor only bounds the work, the parts' agreement ranks the
  // peaks, and the fine passes and the verdict decide.
  double minScore = 3;
  int rankedPeaks = 40;   // distinct (rotation, scale) peaks whose parts are checked, strongest first
  int maxHypotheses = 4;  // of them kept: the most agreeing parts first, and the strongest peak
  // Spatial smoothing of the structural features on the overviews, pixels (the fine passes use
  // 0.8). Smoother channels weigh the larger structures that both modalities share over fine
  // texture: 1.6 registered 23 of 45 unreferenced cases against 19 at 0.8 (map 1 -> 4 of 10).
  double featureSigma = 1.6;
  // The search runs once per normalisation of the features, and the peaks of all runs compete
  // for the hypotheses: per pixel suits maps, regional suits depth against optical (ALGORITHM.md,
  // "Coarse pass"). Each run's strongest peak is always among the hypotheses.
  std::vector<StructuralFeatureOptions::Normalisation> normalisations = {StructuralFeatureOptions::Normalisation::PerPixel,
                                                                         StructuralFeatureOptions::Normalisation::Regional};
  // Orientation channels of the features (the fine passes use 9). The correlations' FFTs cost
  // in proportion; with the second normalisation's search, 6 registered as many unreferenced
  // cases as 9 (one more) at three quarters of the time (ACCURACY.md).
  int orientations = 6;
  int threads = 0;  // rotations and scales evaluated at once; 0: one per core
};

struct CoarseAlignment {
  std::unique_ptr<Transform2D> forward;  // sensed full-res pixel -> reference full-res pixel
  std::unique_ptr<Transform2D> inverse;
  double rotationDeg = 0, scale = 1, ncc = 0;
  double score = 0;  // the peak in standard deviations of its correlation map
  int agreeingParts = 0;  // blocks of the template that, correlated alone, put themselves where it does
};

// ref: preprocessed reference overview, refScale reference pixels per overview pixel.
// sen: preprocessed sensed overview at about the same ground resolution, senScale sensed
// pixels per overview pixel. Returns up to options.maxHypotheses alignments whose rotation or
// scale differ, the most credible first: most agreeing parts, with each search's highest-scoring
// peak always among them (score, not raw correlation, which favours small templates). Each is
// refined locally.
// Throws mmreg::Error when no credible alignment exists.
std::vector<CoarseAlignment> coarseAlign(const Image& ref, double refScale, const Image& sen, double senScale,
                                         const CoarseOptions& options, const ProgressSpan& progress);

}  // namespace mmreg
