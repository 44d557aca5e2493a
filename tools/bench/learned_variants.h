#pragma once
// Variants of the learned matcher that the benchmark measures and the pipeline does not use
// (issue 14): "verified", the learned matcher's matches refined by area correlation as the
// pipeline does and kept where the patch-pair verifier (models/verifier.pt) calls them a true
// correspondence (probability >= 0.5); "gridN", sensed tokens every N px instead of at the
// sensed keypoints.
#include <string>

namespace bench {

// True for the variant names above.
bool isLearnedVariant(const std::string& variant);

// Registers, under mmreg's matcher name "learned" (the only learned name the options accept),
// the variant ("" for the plain learned matcher again). The benchmark calls it before each run of
// a learned pipeline; runs are sequential. Built with LibTorch only (MMREG_BENCH_LEARNED_VARIANTS).
void useLearnedVariant(const std::string& variant);

}  // namespace bench
