#pragma once
// What the trainers share: the pixel-aligned pairs of a split, preprocessed and held in memory,
// random homographies with their sampling grids, and synthetic modality changes.
#include <torch/torch.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mmreg/image.h"

namespace mmreg::training {

// A pair's two windows, preprocessed once and kept in memory: crops are slices of these
// (reading a window of a PNG decodes it from the top, far too slow per crop).
struct LoadedPair {
  torch::Tensor reference, sensed;  // (1, 1, H, W), the same size, pixel-aligned
  std::string group;                // "source/group", as splits.json names it
  bool sensedIsSar = false;         // the sensed side went through the SAR path
};

// The pixel-aligned pairs of the training and validation splits of `splitsFile` under
// `dataDir`, at least minSide pixels on each side; at most maxPairs training pairs (0: all).
// Throws mmreg::Error.
std::pair<std::vector<LoadedPair>, std::vector<LoadedPair>> loadTrainingSets(const std::string& dataDir, const std::string& splitsFile,
                                                                             int maxPairs, int minSide);

// The pairs whose group is among `names` ("source/group", comma-separated), in their order.
std::vector<LoadedPair> inGroups(std::vector<LoadedPair> pairs, const std::string& names);

// The validation pairs of the groups `names` names (all when it is empty): what --val-groups
// keeps. Throws mmreg::Error, saying how to name groups, when none is left.
std::vector<LoadedPair> validationGroups(std::vector<LoadedPair> val, const std::string& names);

// The groups of `pairs`, sorted and comma-separated: what an error names when none was kept.
std::string groupNames(const std::vector<LoadedPair>& pairs);

// A (1, 1, H, W) tensor as an Image; `valid` (the same shape, 1 inside) becomes its mask.
mmreg::Image toImage(const torch::Tensor& t, const torch::Tensor& valid = {});

// A random homography about the centre of a size x size crop (pixel-index coordinates): rotation
// within maxRotation radians, scale within 1 +- maxScale, shift within maxShift of the size,
// perspective within maxPerspective per pixel.
torch::Tensor randomHomography(std::mt19937& rng, int size, double maxPerspective, double maxRotation = 0.35,
                               double maxScale = 0.15, double maxShift = 0.1);

// Sampling grid for grid_sample that reads, for every output pixel q, the input at h(q)
// (pixel-index coordinates, align_corners); also the mask of q whose h(q) lies in the frame.
std::pair<torch::Tensor, torch::Tensor> gridFor(const torch::Tensor& h, int size);

// Synthetic modality changes (issue 4): a random gamma remap, inversion, speckle, blur.
torch::Tensor modalityChange(torch::Tensor x, std::mt19937& rng);

}  // namespace mmreg::training
