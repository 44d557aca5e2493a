#pragma once
// What every trainer shares before its first iteration: the common options, and the set-up
// (GDAL, seed, LibTorch threads, device, the training and validation pairs).
#include <functional>
#include <string>
#include <vector>

#include "training/training_data.h"

namespace mmreg::training {

struct TrainerOptions {
  std::string data = "../shared/data", splits, out, device = "cpu";
  int iterations = 1000, logEvery = 50, threads = 0, maxPairs = 0;
  double lr = 1e-4, width = 0.25;
  bool fixedBatch = false;  // smoke test: train on one batch, which the loss must be able to fit
  unsigned seed = 1;
};

// The usage line of the options above.
extern const char* const kTrainerUsage;

// Applies `key` when it is one of the common options, reading its value with next(); false otherwise.
bool readTrainerOption(const std::string& key, const std::function<std::string()>& next, TrainerOptions& o);

struct TrainingSetup {
  torch::Device device{torch::kCPU};
  std::vector<LoadedPair> train, val;  // pixel-aligned pairs, at least minSide px on each side
};

// Registers GDAL, seeds LibTorch, sets its thread count (Debian's starts with one), picks the
// device, loads both sets and prints their sizes. Throws mmreg::Error, also when a set is empty.
TrainingSetup setUpTraining(const TrainerOptions& o, int minSide);

}  // namespace mmreg::training
