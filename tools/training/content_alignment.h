#pragma once
// Training labels from the content rather than the dataset's word: the truth of many aligned
// pairs is off their content by whole pixels (3MOS: 2-8 px on many tiles, docs/benchmarks/
// SAR_FEATURES.md; SRIF maps: 2.7 px median). A softmax at a label that far off teaches the
// backbone to peak at the wrong place, so a training pair can be moved onto the place where
// most of its templates agree, and dropped when they do not agree.
#include <algorithm>
#include <opencv2/core.hpp>

#include "training/training_data.h"

namespace mmreg::training {

struct ContentAlignment {
  cv::Point offset;   // the most agreed peak offset: reference content at p lies at p + offset in sensed
  int templates = 0;  // templates with any structure
  int agreeing = 0;   // of those, peaks within 2 px of the offset (in x and in y)
  // A fifth of the templates agree, and 8 at least. Chance puts 1 in 44 within 2 px of a given
  // offset (5 x 5 of a 33 x 33 search): 1.5 of 64 templates, a few at the best of all offsets.
  bool trustworthy() const { return agreeing >= std::max(8, (templates + 4) / 5); }
};

// 64 px templates of the reference's structural features every 21 px, each searched +-16 px in
// the sensed's (the area matcher's NCC).
ContentAlignment measureContentAlignment(const LoadedPair& pair);

// Both images cropped to where they overlap once the sensed is moved by -offset: pixel-aligned
// on the content.
LoadedPair shiftedPair(const LoadedPair& pair, cv::Point offset);

}  // namespace mmreg::training
