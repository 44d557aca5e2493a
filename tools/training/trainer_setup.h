#pragma once
// What every trainer shares: the common options, the set-up
// (GDAL, seed, LibTorch threads, device, the training and validation pairs), and the loop.
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
  bool resume = false;      // continue from out.last: weights, optimiser moments, iteration count
  bool alignContent = false;  // training pairs moved onto their content's alignment, or dropped (content_alignment.h)
  std::string trainGroups;    // comma-separated "source/group" names to train on (empty: every training pair)
  unsigned seed = 1;
};

// The usage line of the options above.
extern const char* const kTrainerUsage;

using NextValue = std::function<std::string()>;  // the option's value (exits 2 when there is none)

// Reads the command line: the common options into `o`, the trainer's own through `own` (true
// when it knew the key). -1 to go on; else the exit code: 0 after --help (the common usage, then
// `usage`), 2 for an unknown option.
int readTrainerArgs(int argc, char** argv, const char* program, const char* usage, TrainerOptions& o,
                    const std::function<bool(const std::string& key, const NextValue& next)>& own);

struct TrainingSetup {
  torch::Device device{torch::kCPU};
  std::vector<LoadedPair> train, val;  // pixel-aligned pairs, at least minSide px on each side
};

// Registers GDAL, seeds LibTorch, sets its thread count (Debian's starts with one), picks the
// device, loads both sets and prints their sizes. Throws mmreg::Error, also when a set is empty.
TrainingSetup setUpTraining(const TrainerOptions& o, int minSide);

// What a trainer plugs into the shared loop.
struct TrainingSteps {
  std::function<torch::Tensor()> loss;         // the next batch's loss (a graph to back-propagate)
  std::function<double()> validate;            // the validation metric; higher is better
  std::function<void(const std::string&)> save;  // writes the weights to a path
  std::string metricKey, metricName;           // for the log line and the final message
  std::function<void(const std::string&)> load;  // reads them back (--resume); may be empty when the trainer cannot resume
};

// Adam steps for o.iterations; every o.logEvery iterations (and at the end) logs the mean loss,
// the validation metric and the elapsed time, writes o.out.last, and o.out when the metric is
// the best so far. The optimiser's state and the iteration count go beside o.out.last (.optim,
// .state), so that --resume continues there (with different random batches). With --iterations 0
// (and no --resume) it writes the network as it starts to o.out: the untrained baseline.
void runTraining(const TrainerOptions& o, torch::optim::Optimizer& optimizer, const TrainingSteps& steps);

// Copies the parameters of `from` (loaded from a checkpoint) into `into`, a network of the same
// architecture, and puts `into` back in training mode: what a trainer's TrainingSteps::load does.
void copyParameters(torch::nn::Module& from, torch::nn::Module& into);

}  // namespace mmreg::training
