#pragma once
// Area-based sub-pixel refinement of keypoint matches (not in Li, Han & Ye 2022; meant to beat
// the pixel quantisation of keypoints): each match's template of structural features is
// correlated in a small window around where the match put it.
#include <memory>
#include <vector>

#include "features/dense_features.h"

namespace mmreg {

struct AreaRefinementOptions {
  int templateSize = 32;  // pixels, square, centred on the reference keypoint
  int radius = 5;         // pixels searched around the matched position: the learned detector's keypoints
                          // keep to 8 px cells, so a learned match can be 4 px off on each axis
  std::shared_ptr<const DenseFeatures> features;  // what is correlated; null: the structural features
  SideModalities modalities;                      // given to the features
};

// Matches as a TileMatcher returns them (sensedPadded padded by `margin`). Each match moves to
// the sub-pixel NCC peak of its template; a match whose peak lies on the search border, or that
// does not correlate, is dropped (it was off by more than the radius). Matches too near the
// tile's edge for a template keep their positions.
std::vector<TileMatch> refineMatches(const Image& ref, const Image& sensedPadded, int margin, const std::vector<TileMatch>& matches,
                                     const AreaRefinementOptions& options = {});

}  // namespace mmreg
