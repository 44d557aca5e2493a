#pragma once
// Training samples of the cross-fusion matcher (Li, Han & Ye 2022, section 3.4): a pixel-aligned
// pair, each side warped by its own random homography; positives are patch centres on the same
// ground point in the two warped images, negatives on different points, some of them hard
// (close to the true point, where a matcher is most easily fooled).
#include <random>
#include <vector>

#include "mmreg/homography.h"

namespace mmreg {

struct MatchSampleOptions {
  int patchSize = 96;            // every centre keeps its whole patch inside its warped image
  int positives = 32;
  double hardShare = 0.5;        // share of negatives that are hard
  double hardMinPx = 8, hardMaxPx = 24;  // hard negatives: this far from the true point, in the aligned frame
  double easyMinPx = 48;         // other negatives: at least this far
  int maxTries = 10000;          // draws before giving up (a warp that leaves little in frame)
};

struct MatchSample {
  Point2 centreA, centreB;  // in warped image A and warped image B (pixel-corner coordinates)
  bool positive = false;
  bool hard = false;
};

// warpA, warpB: aligned-frame pixel -> warped-image pixel, for images of width x height (the
// warped images have the same size). One negative per positive. Fewer samples than asked when
// the warps leave too little in frame.
std::vector<MatchSample> sampleMatchPairs(const Homography& warpA, const Homography& warpB, int width, int height,
                                          const MatchSampleOptions& options, std::mt19937& rng);

}  // namespace mmreg
