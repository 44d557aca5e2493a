#include "training/trainer_setup.h"

#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "mmreg/error.h"
#include "mmreg/process_memory.h"
#include "training/content_alignment.h"

namespace mmreg::training {

void runTraining(const TrainerOptions& o, torch::optim::Optimizer& optimizer, const TrainingSteps& steps) {
  const auto t0 = std::chrono::steady_clock::now();
  double running = 0, best = -1;
  int first = 1;
  const std::string last = o.out + ".last";
  if (o.resume) {
    std::ifstream state(last + ".state");
    if (!steps.load) throw Error("this trainer cannot resume; start it without --resume");
    if (!(state >> first >> best))
      throw Error("--resume found no checkpoint state in " + last + ".state; start without --resume, or pass the --out of the run to continue");
    steps.load(last);
    torch::load(optimizer, last + ".optim");
    std::printf("resumed from %s after iteration %d (best metric %.3f)\n", last.c_str(), first, best);
    ++first;
  }
  for (int it = first; it <= o.iterations; ++it) {
    optimizer.zero_grad();
    const auto loss = steps.loss();
    loss.backward();
    optimizer.step();
    running += loss.item<double>();
    if (it % o.logEvery == 0 || it == o.iterations) {
      const int n = it % o.logEvery == 0 ? o.logEvery : it % o.logEvery;
      const double metric = steps.validate();
      std::printf("iteration %d loss %.5f %s %.3f elapsed %.0fs\n", it, running / n, steps.metricKey.c_str(), metric,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
      running = 0;
      steps.save(last);
      if (metric > best) best = metric, steps.save(o.out);
      torch::save(optimizer, last + ".optim");
      std::ofstream(last + ".state") << it << ' ' << best << '\n';
    }
  }
  if (first > o.iterations && !o.resume) {  // --iterations 0: the network as it starts, e.g. to benchmark the untrained one
    best = steps.validate();
    steps.save(o.out);
    std::printf("wrote %s (%s %.3f), untrained\n", o.out.c_str(), steps.metricName.c_str(), best);
    return;
  }
  std::printf("wrote %s (%s %.3f) and %s.last\n", o.out.c_str(), steps.metricName.c_str(), best, o.out.c_str());
}

void copyParameters(torch::nn::Module& from, torch::nn::Module& into) {
  torch::NoGradGuard noGrad;
  const auto source = from.named_parameters();
  for (auto& p : into.named_parameters()) p.value().copy_(source[p.key()]);
  into.train();
}

const char* const kTrainerUsage =
    "[--data DIR] [--splits FILE] [--out FILE.pt] [--device cpu|cuda] [--iterations N] [--lr F] [--width F]\n"
    "    [--fixed-batch] [--max-pairs N] [--threads N] [--log-every N] [--seed N] [--resume] [--align-content]\n"
    "    [--train-groups G,...]";

namespace {

std::vector<LoadedPair> alignedOnContent(const std::vector<LoadedPair>& pairs, int minSide) {
  std::vector<LoadedPair> kept;
  std::map<std::string, std::pair<std::vector<double>, int>> groups;  // group: offsets kept (px), pairs dropped
  for (const auto& p : pairs) {
    const auto a = measureContentAlignment(p);
    auto& [moved, dropped] = groups[p.group];
    const bool fits = p.reference.size(2) - std::abs(a.offset.y) >= minSide && p.reference.size(3) - std::abs(a.offset.x) >= minSide;
    if (!a.trustworthy() || !fits) {
      ++dropped;
      continue;
    }
    moved.push_back(std::hypot(a.offset.x, a.offset.y));
    kept.push_back(shiftedPair(p, a.offset));
  }
  std::printf("aligned on content (kept, their median and largest move in px, dropped):");
  for (auto& [g, c] : groups) {
    auto& [moved, dropped] = c;
    std::sort(moved.begin(), moved.end());
    std::printf(" %s %zu %.1f %.1f %d;", g.c_str(), moved.size(), moved.empty() ? 0.0 : moved[moved.size() / 2],
                moved.empty() ? 0.0 : moved.back(), dropped);
  }
  std::printf("\n");
  return kept;
}

bool readTrainerOption(const std::string& k, const NextValue& next, TrainerOptions& o) {
  if (k == "--data") o.data = next();
  else if (k == "--splits") o.splits = next();
  else if (k == "--out") o.out = next();
  else if (k == "--device") o.device = next();
  else if (k == "--iterations") o.iterations = std::stoi(next());
  else if (k == "--lr") o.lr = std::stod(next());
  else if (k == "--width") o.width = std::stod(next());
  else if (k == "--fixed-batch") o.fixedBatch = true;
  else if (k == "--resume") o.resume = true;
  else if (k == "--align-content") o.alignContent = true;
  else if (k == "--train-groups") o.trainGroups = next();
  else if (k == "--max-pairs") o.maxPairs = std::stoi(next());
  else if (k == "--threads") o.threads = std::stoi(next());
  else if (k == "--log-every") o.logEvery = std::stoi(next());
  else if (k == "--seed") o.seed = static_cast<unsigned>(std::stoul(next()));
  else return false;
  return true;
}

}  // namespace

int readTrainerArgs(int argc, char** argv, const char* program, const char* usage, TrainerOptions& o,
                    const std::function<bool(const std::string& key, const NextValue& next)>& own) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const NextValue next = [&]() -> std::string {
      if (i + 1 >= argc) std::fprintf(stderr, "%s needs a value\n", k.c_str()), std::exit(2);
      return argv[++i];
    };
    if (readTrainerOption(k, next, o) || own(k, next)) continue;
    if (k == "--help" || k == "-h") return std::printf("%s %s\n%s", program, kTrainerUsage, usage), 0;
    return std::fprintf(stderr, "unknown option %s\n%s %s\n%s", k.c_str(), program, kTrainerUsage, usage), 2;
  }
  return -1;
}

TrainingSetup setUpTraining(const TrainerOptions& o, int minSide) {
  mmreg::keepFreedMemoryForReuse();  // every batch frees and allocates its crops and activations again
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  torch::manual_seed(o.seed);
  if (o.threads > 0) torch::set_num_threads(o.threads);
  TrainingSetup s;
  s.device = torch::Device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);
  std::tie(s.train, s.val) = loadTrainingSets(o.data, o.splits, o.maxPairs, minSide);
  if (s.train.empty() || s.val.empty()) throw Error("no training or validation pairs under " + o.data);
  if (!o.trainGroups.empty()) {
    const std::string known = groupNames(s.train);
    s.train = inGroups(std::move(s.train), o.trainGroups);
    if (s.train.empty()) throw Error("no training pair is in --train-groups " + o.trainGroups + "; the training split's groups are " + known);
  }
  if (o.alignContent) {
    s.train = alignedOnContent(s.train, minSide);
    if (s.train.empty())
      throw Error("--align-content dropped every training pair (too few templates agree on an offset); train on more pairs "
                  "(--max-pairs) or without --align-content");
  }
  std::printf("training pairs: %zu, validation pairs: %zu, device: %s\n", s.train.size(), s.val.size(), o.device.c_str());
  for (const auto* set : {&s.train, &s.val}) {
    std::map<std::string, int> groups;
    for (const auto& p : *set) ++groups[p.group];
    std::printf("  %s:", set == &s.train ? "training" : "validation");
    for (const auto& [g, n] : groups) std::printf(" %s %d", g.c_str(), n);
    std::printf("\n");
  }
  std::fflush(stdout);
  return s;
}

}  // namespace mmreg::training
