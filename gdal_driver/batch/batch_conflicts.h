#pragma once
// Checks, before any work, that the pairs of a batch do not depend on each other. Ranks run
// pairs in any order and at once, so two pairs writing one file, or a pair reading a file that
// another pair writes, would give results that depend on timing; a summary may replace neither
// the manifest nor any pair's file.
#include <string>
#include <vector>

#include "batch/batch_manifest.h"

// The first conflict as a message that says what to change, or "" when there is none. `common`:
// the mmreg options given for every pair. A pair whose options do not parse is left to fail
// alone when it runs.
std::string batchConflict(const std::vector<BatchPair>& pairs, const std::vector<std::string>& common, const std::string& manifest,
                          const std::string& summary);
