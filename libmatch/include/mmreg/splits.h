#pragma once
// Fixed train / validation / test splits (models/splits.json). Whole groups are held out, so
// nothing of a test group is ever trained on.
#include <map>
#include <string>
#include <vector>

#include "mmreg/datasets.h"

namespace mmreg {

struct SplitSpec {
  std::vector<std::string> testGroups;        // "source/group", e.g. "3mos/ALOS"
  std::vector<std::string> validationGroups;
  std::map<std::string, double> validationShare;  // of the remaining pairs of a group, by a stable hash of the name
};

SplitSpec loadSplits(const std::string& path);  // throws mmreg::Error
std::string splitOf(const AlignedPair& pair, const SplitSpec& spec);  // "train" | "validation" | "test"
std::vector<AlignedPair> selectSplit(const std::vector<AlignedPair>& pairs, const SplitSpec& spec, const std::string& split);

}  // namespace mmreg
