#pragma once
// One pair's run in a batch, and the summary of all of them (JSON and a table).
#include <string>
#include <vector>

#include "batch/batch_manifest.h"
#include "mmreg/progress.h"

struct PairOutcome {
  int index = 0;      // line order in the manifest, from 0
  int rank = 0;       // the MPI rank that ran it
  std::string reference, sensed, output;
  std::string status;   // verified, doubtful (written with -keep_doubtful), refused, error, cancelled
  std::string model;    // empty unless a model was fitted
  std::vector<double> parameters;
  double rmseCheckPx = -1;
  double seconds = 0;
  std::string message;  // the refusal or error, as mmreg says it
};

// Runs one pair: `common` options (the command line's), then the pair's own, then its files.
// Never throws: every failure becomes the outcome's status and message; `progress` returning
// false cancels the pair, which leaves no partial output.
PairOutcome runPair(const BatchPair& pair, const std::vector<std::string>& common, int index, int rank,
                    const mmreg::ProgressFn& progress);
// The outcome of a pair that never started because the batch was interrupted.
PairOutcome notRun(const BatchPair& pair, int index);

std::string outcomesJson(const std::vector<PairOutcome>& outcomes);
std::vector<PairOutcome> outcomesFromJson(const std::string& json);
// The summary document: counts, and every pair in manifest order.
std::string summaryJson(const std::vector<PairOutcome>& outcomes, int ranks, double seconds);
std::string summaryTable(const std::vector<PairOutcome>& outcomes);
