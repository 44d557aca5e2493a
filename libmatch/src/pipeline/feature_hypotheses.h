#pragma once
// Rotation- and scale-invariant keypoint matching on overviews, as a second source of coarse
// hypotheses beside the exhaustive correlation search: keypoints on the log-Gabor amplitude,
// each described by a histogram of phase-based orientations (as RIFT's maximum index map,
// contrast and sign play no part) in a patch turned to its dominant orientation, the sensed
// side at several patch sizes. Every match proposes a similarity; those that most other matches
// agree with are the hypotheses.
#include <vector>

#include "mmreg/image.h"
#include "pipeline/coarse_alignment.h"

namespace mmreg {

struct FeatureHypothesisOptions {
  int keypoints = 1000;      // per image
  // Patch radius as a share of the reference overview's longest side (64 px at 512): patches
  // must hold structures that both modalities show, so they are large.
  double patchRadius = 0.125;
  double minScale = 0.5, maxScale = 2.0;  // sensed pixels per reference pixel, about the overviews' nominal
  int scaleStepsPerOctave = 4;
  double tolerancePx = 6;    // where an agreeing match must land, reference overview pixels
  double agreeRotationDeg = 20, agreeScale = 1.4;  // and how like its own rotation and scale must be
  int minAgreeing = 5;       // matches that agree with a hypothesis, half a patch radius apart
  int maxHypotheses = 2;
};

// The same frames as coarseAlign: overviews with refScale and senScale full-resolution pixels
// per overview pixel. Returns up to options.maxHypotheses alignments, the most agreed-on first
// (agreeingParts: the matches that agree, half a patch radius apart); empty when none reaches minAgreeing.
std::vector<CoarseAlignment> featureHypotheses(const Image& ref, double refScale, const Image& sen, double senScale,
                                               const FeatureHypothesisOptions& options = {});

}  // namespace mmreg
