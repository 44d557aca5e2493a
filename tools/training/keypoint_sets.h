#pragma once
// Keypoint sets for the cross-fusion head (issue 14): a crop of a pixel-aligned pair, its sensed
// side warped by a random homography, each side's keypoints with their descriptor blocks, and
// which pairs correspond under the warp (the paper's section 3.4 positives and negatives).
#include <torch/torch.h>

#include <random>

#include "mmreg/features.h"
#include "nets/cross_fusion_head.h"
#include "nets/learned_features.h"
#include "training/training_data.h"

namespace mmreg::training {

struct KeypointSampling {
  int crop = 192;                  // pixels, square
  double maxRotation = 0.08, maxScale = 0.06, maxShift = 0.05;  // the warp (radians, share, share of the crop)
  double positionShift = 16;       // pixels: every sensed position moves by one random shift this large (the misregistration)
  int density = 4;                 // sensed keypoints this many times denser than the reference's one per 32 x 32 px
  double truthShare = 0.5;         // share of reference keypoints that also get a sensed token at their true place
  double jitter = 1;               // ... moved by up to this many pixels on each axis
  double positive = 2.5;           // pixels: a sensed token this near the truth is a match
  double ignore = 4;               // ... between positive and this, neither
  double gate = 16;                // ... beyond this, not a candidate (the search margin)
  double sensedChanges = 0.5;      // share of sensed crops put through a synthetic modality change (training_data.h)
};

struct KeypointSets {
  torch::Tensor blocksA, positionsA;  // (N, K), (N, 2): reference keypoints, in the reference crop
  torch::Tensor blocksB, positionsB;  // (M, K), (M, 2): sensed tokens, positions shifted by the random shift
  torch::Tensor pointsB;              // (M, 2): the sensed tokens in the warped crop, unshifted
  torch::Tensor truthInB;             // (N, 2): where each reference keypoint lies in the warped crop
  torch::Tensor labels;               // (N, M): 1 a match, 0 a candidate that is not one, -1 neither
  int64_t detectedB = 0;              // the first detectedB sensed tokens are detected keypoints, the rest placed at the truth
};

// One crop of `pair` at a random place (deterministic for a given rng state). Descriptors from
// `features` (frozen), keypoints from `detector`.
KeypointSets sampleKeypointSets(const LoadedPair& pair, const nets::LearnedFeatures& features, const Detector& detector,
                                const nets::CrossFusionHeadOptions& head, const KeypointSampling& options, std::mt19937& rng);

}  // namespace mmreg::training
