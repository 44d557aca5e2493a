// mmreg_batch: many pairs, on one machine or a cluster with OpenMPI.
//   mpirun -n N mmreg_batch [mmreg options] [-summary FILE.json] manifest.csv
// Ranks take pairs in turn from a shared counter (MPI one-sided fetch-and-add on rank 0), so a
// slow pair does not hold up the others; without mpirun it runs as a single rank. The mmreg
// options apply to every pair (each pair runs with its own -threads). A failed pair never stops
// the others. Rank 0 gathers every outcome into one summary (JSON, and a table on stdout).
// Ctrl-C (or a hang-up, kill, quit) cancels the pairs running and those not started, which leave
// no partial output; the summary is still written.
// Exit status: 0 every pair verified, 1 some pair was refused, failed or cancelled, 2 usage error.
#include <cpl_string.h>
#include <gdal.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "batch/batch_conflicts.h"
#include "batch/batch_manifest.h"
#include "batch/batch_outcome.h"
#include "interrupt.h"
#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/outputs.h"
#include "mmreg/process_memory.h"
#include "mmreg_lib.h"

namespace {

const char* const kUsage =
    "Usage: mpirun -n N mmreg_batch [mmreg options] [-summary FILE.json] manifest.csv\n"
    "       mmreg_batch [mmreg options] [-summary FILE.json] manifest.csv   (one rank)\n\n"
    "Co-registers every pair of the manifest, one line per pair: reference,sensed,output[,options]\n"
    "(options: mmreg options for that pair; relative paths, in the options too, from the manifest's\n"
    "folder). The mmreg options given here apply to every pair (see mmreg --help). -summary (default:\n"
    "<manifest>.summary.json) receives every pair's verdict, model and check-point RMSE. -q: no\n"
    "table on stdout, and only the pairs not verified are reported as they end.\n"
    "Ctrl-C cancels the pairs running and those not started (no partial output); the summary is still\n"
    "written. Exit status: 0 every pair verified, 1 some pair refused, failed or cancelled, 2 usage error.\n";

// The pairs this rank runs, taken one at a time from the counter on rank 0. Each is logged when
// done; with -q only those that were not verified.
std::vector<PairOutcome> runMyShare(const std::vector<BatchPair>& pairs, const std::vector<std::string>& common, int rank,
                                    bool quiet) {
  int* counter = nullptr;
  MPI_Win win;
  MPI_Win_allocate(rank == 0 ? sizeof(int) : 0, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &counter, &win);
  if (rank == 0) *counter = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  std::vector<PairOutcome> mine;
  for (;;) {
    const int one = 1;
    int next = 0;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
    MPI_Fetch_and_op(&one, &next, MPI_INT, 0, 0, MPI_SUM, win);
    MPI_Win_unlock(0, win);
    if (next >= static_cast<int>(pairs.size()) || interrupted()) break;
    mine.push_back(runPair(pairs[next], common, next, rank, [](double, const char*) { return !interrupted(); }));
    const auto& o = mine.back();
    if (!quiet || o.status != "verified")
      std::fprintf(stderr, "mmreg_batch: rank %d, pair %d/%zu (%s): %s%s%s\n", rank, next + 1, pairs.size(), o.sensed.c_str(),
                   o.status.c_str(), o.message.empty() ? "" : ": ", o.message.substr(0, 200).c_str());
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Win_free(&win);
  return mine;
}

// Every pair's outcome on rank 0, in manifest order; pairs no rank ran (an interrupt) are cancelled.
std::vector<PairOutcome> gather(const std::vector<BatchPair>& pairs, const std::vector<PairOutcome>& mine, int rank, int ranks) {
  const std::string text = outcomesJson(mine);
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(ranks), offsets(ranks);
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<char> all;
  if (rank == 0) {
    int total = 0;
    for (int r = 0; r < ranks; ++r) offsets[r] = total, total += lengths[r];
    all.resize(total);
  }
  MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<PairOutcome> out;
  if (rank != 0) return out;
  for (int r = 0; r < ranks; ++r)
    for (auto& o : outcomesFromJson(std::string(all.data() + offsets[r], lengths[r]))) out.push_back(o);
  std::vector<bool> ran(pairs.size());
  for (const auto& o : out) ran[o.index] = true;
  for (size_t i = 0; i < pairs.size(); ++i)
    if (!ran[i]) out.push_back(notRun(pairs[i], static_cast<int>(i)));
  std::sort(out.begin(), out.end(), [](const PairOutcome& a, const PairOutcome& b) { return a.index < b.index; });
  return out;
}

// The summary under a temporary name, renamed when complete: a summary is always whole. A
// summary of an earlier run is replaced.
void writeSummary(const std::string& path, const std::string& json) {
  mmreg::OutputTransaction transaction;
  const std::string temporary = transaction.stage(path);
  std::ofstream out(temporary);
  out << json;
  out.close();
  if (!out) throw mmreg::Error("cannot write the summary '" + path + "'; check the folder is writable and has free space");
  transaction.commit(true);
}

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  cancelOnSignals();  // after MPI's start-up, so that these handlers are the ones in force
  GDALAllRegister();
  mmreg::registerLearnedModels();
  for (int i = 1; i < argc; ++i) {
    const bool version = !std::strcmp(argv[i], "--version");
    if (version || !std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      if (rank == 0 && version) std::printf("mmreg_batch %s (GDAL %s)\n", mmreg::versionString(), GDALVersionInfo("RELEASE_NAME"));
      if (rank == 0 && !version) std::fputs(kUsage, stdout);
      MPI_Finalize();
      return 0;
    }
  }
  // GDAL's general options, as every GDAL program takes them: --config, --debug, --optfile ...
  argc = GDALGeneralCmdLineProcessor(argc, &argv, 0);
  if (argc < 1) {
    MPI_Finalize();
    return argc == 0 ? 0 : 2;
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  CSLDestroy(argv);
  std::vector<std::string> common;
  std::string manifest, summaryPath;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-summary" && i + 1 < args.size()) summaryPath = args[++i];
    else if (i == args.size() - 1) manifest = args[i];
    else common.push_back(args[i]);
  }
  // Usage errors before any work: the common options must parse (with placeholder files).
  std::string error;
  std::vector<std::string> probe = common;
  for (const char* f : {"r", "s", "o"}) probe.push_back(f);
  std::string optionsError;
  const auto commonOptions = MmregAppOptionsNew(probe, &optionsError);
  std::vector<BatchPair> pairs;
  if (manifest.empty() || manifest[0] == '-') error = "give the manifest as the last argument; see mmreg_batch --help";
  else if (!commonOptions) error = "in the options for every pair: " + optionsError;
  else {
    try {
      pairs = readManifest(manifest);
    } catch (const mmreg::Error& e) {
      error = e.what();
    }
  }
  if (summaryPath.empty()) summaryPath = manifest + ".summary.json";
  if (error.empty()) error = batchConflict(pairs, common, manifest, summaryPath);
  if (!error.empty()) {
    if (rank == 0) std::fprintf(stderr, "mmreg_batch: %s\n", error.c_str());
    MPI_Finalize();
    return 2;
  }

  const auto t0 = std::chrono::steady_clock::now();
  // -q quiets the batch as it quiets each pair: no table, no summary line, only what went wrong.
  const bool quiet = commonOptions->quiet;
  const auto mine = runMyShare(pairs, common, rank, quiet);
  const auto all = gather(pairs, mine, rank, ranks);
  int rc = 0;
  if (rank == 0) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet) std::fputs(summaryTable(all).c_str(), stdout);
    for (const auto& o : all)
      if (o.status != "verified") rc = 1;
    if (std::any_of(all.begin(), all.end(), [](const PairOutcome& o) { return o.status == "cancelled"; }))
      std::fprintf(stderr, "mmreg_batch: interrupted; the pairs not finished are cancelled and left no output\n");
    try {
      writeSummary(summaryPath, summaryJson(all, ranks, seconds));
      if (!quiet) std::printf("%zu pairs on %d rank(s) in %.1f s; summary: %s\n", all.size(), ranks, seconds, summaryPath.c_str());
    } catch (const mmreg::Error& e) {
      std::fprintf(stderr, "mmreg_batch: %s\n", e.what());
      rc = 1;
    }
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return rc;
}
