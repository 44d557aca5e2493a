#pragma once
// Choosing the benchmarks' cases: aligned pairs of a split, by modality group.
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mmreg/datasets.h"
#include "mmreg/image.h"
#include "mmreg/synthetic_case.h"

namespace bench {

// The pairs under `data` of `split` (test, validation, train or all, per `splitsFile`), from the
// given sources (and groups, "source/group" or the group alone; empty: all), keyed by
// "source/group". Throws mmreg::Error when the splits file cannot be read.
std::map<std::string, std::vector<mmreg::AlignedPair>> pairsByGroup(const std::string& data, const std::string& splitsFile,
                                                                     const std::string& split, const std::vector<std::string>& sources,
                                                                     const std::vector<std::string>& groups = {});

// The window of a pair's side as one image, its bands combined (luminance), not preprocessed.
mmreg::Image readBands(const mmreg::ImageWindowRef& window);

// Whether the pair's sensed side is SAR (3MOS, s1s2, VSFF, SRIF Optical-SAR).
bool sensedIsSar(const mmreg::AlignedPair& pair);

// At most n of `list`, spread evenly over it (deterministic).
std::vector<mmreg::AlignedPair> spreadEvenly(const std::vector<mmreg::AlignedPair>& list, size_t n);

// The benchmarks' seeded misregistration: a shift of half to all of maxShift in a random
// direction, rotation within +-maxRotation, scale 1 +- maxScale or, with scaleOctaves > 0,
// log-uniform in [2^-octaves, 2^octaves], and perspective within +-maxPerspective where the
// pixels are warped. One draw per case, in order, so equal seeds give equal cases.
struct MisregistrationRange {
  double maxShift = 40, maxRotation = 3, maxScale = 0.03, maxPerspective = 0, scaleOctaves = 0;
  bool pixels = false;
};
mmreg::Misregistration drawMisregistration(std::mt19937& rng, const MisregistrationRange& range);

}  // namespace bench
