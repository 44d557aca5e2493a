#pragma once
// Patch pairs for the patch-pair verifier (issue 14): descriptor blocks of the same place on
// both sides of an aligned pair (positives) and of places the matcher could confuse with it
// (negatives), and the FPR95 that scores a verifier on them.
#include <torch/torch.h>

#include <random>
#include <vector>

#include "features/dense_features.h"
#include "mmreg/image.h"

namespace mmreg::training {

// Both sides' dense descriptors, (C, H, W) on the CPU, the sensed resampled into the reference
// frame: the same pixel shows the same place (to the pair's truth).
struct DescriptorPair {
  torch::Tensor reference, sensed;
};
DescriptorPair describePair(const DenseFeatures& features, const Image& reference, const Image& sensed, Modality sensedModality);

struct PatchSampling {
  int patch = 64;       // block side: the area matcher's templates are 48-96 px
  int search = 16;      // negatives lie within +-search px of the truth, as a wrong match would
  int minWrong = 6;     // ... and more than 5 px from it in x or y: wrong as the benchmarks count it
  int jitter = 1;       // positives are moved by up to this much (a match is rarely exact)
  double hardShare = 0.5;  // share of negatives at the NCC's best wrong peak; the rest at a random wrong offset
  int centres = 16;     // per call: each gives one positive and one negative
};

// a, b: (N, C, P, P) blocks (reference, sensed); label (N): 1 same place, 0 not.
struct PatchPairs {
  torch::Tensor a, b, label;
};

// Centres where the reference block has structure and both sides have data around it (every
// descriptor pixel non-zero over the search area); fewer than options.centres when the pair has
// too few. Deterministic for a given rng state.
PatchPairs samplePatchPairs(const DescriptorPair& pair, const PatchSampling& options, std::mt19937& rng);
PatchPairs concatenate(const std::vector<PatchPairs>& parts);

// False positive rate at 95 % recall: the share of negatives scoring at least the score that 95 %
// of the positives reach (higher score: more likely the same place).
double fpr95(const torch::Tensor& scores, const torch::Tensor& labels);

// The area under the ROC curve: the chance that a random positive outscores a random negative
// (ties count half). 0.5 is chance; it weighs every positive, where FPR95 is decided by the
// weakest twentieth of them.
double rocAuc(const torch::Tensor& scores, const torch::Tensor& labels);

}  // namespace mmreg::training
