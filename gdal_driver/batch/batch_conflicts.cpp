#include "batch/batch_conflicts.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>

#include <map>
#include <utility>

#include "mmreg/outputs.h"
#include "mmreg_lib.h"

namespace {

struct Use {
  int pair;
  std::string path, role;  // role: "output", "-report file", ...
};

// One name per file: files by their canonical path; /vsi paths as written.
std::string fileKey(const std::string& path) { return path.rfind("/vsi", 0) == 0 ? path : mmreg::canonicalPath(path); }

std::string pairName(int index) { return "pair " + std::to_string(index + 1); }

std::vector<Use> writtenBy(int pair, const mmreg::OutputOptions& o) {
  std::vector<Use> uses;
  const std::pair<const std::string*, const char*> files[] = {{&o.output, "output"},           {&o.reportPath, "-report file"},
                                                              {&o.htmlPath, "-html file"},      {&o.tiePointsPath, "-tiepoints file"},
                                                              {&o.pointsPath, "-points file"}};
  for (const auto& [path, role] : files)
    if (!path->empty() && *path != "-") uses.push_back({pair, *path, role});
  return uses;
}

std::vector<Use> readBy(int pair, const mmreg::CoregisterOptions& job) {
  std::vector<Use> uses{{pair, job.reference, "reference"}, {pair, job.sensed, "sensed raster"}};
  if (!job.match.dem.empty()) uses.push_back({pair, job.match.dem, "-dem"});
  return uses;
}

}  // namespace

std::string batchConflict(const std::vector<BatchPair>& pairs, const std::vector<std::string>& common, const std::string& manifest,
                          const std::string& summary) {
  std::map<std::string, Use> writes;
  std::vector<Use> reads;
  for (size_t i = 0; i < pairs.size(); ++i) {
    std::vector<std::string> args = common;
    args.insert(args.end(), pairs[i].options.begin(), pairs[i].options.end());
    for (const auto* f : {&pairs[i].reference, &pairs[i].sensed, &pairs[i].output}) args.push_back(*f);
    std::string usage;
    const auto options = MmregAppOptionsNew(args, &usage);
    if (!options) continue;
    const int pair = static_cast<int>(i);
    for (const Use& w : writtenBy(pair, options->job.out)) {
      const auto [it, fresh] = writes.emplace(fileKey(w.path), w);
      if (fresh || it->second.pair == pair) continue;  // one pair's own clashes are mmreg's to report
      const int first = it->second.pair + 1;
      std::string message = it->second.role == w.role
                                ? "pairs " + std::to_string(first) + " and " + std::to_string(pair + 1) + " both write '" + w.path +
                                      "' as their " + w.role
                                : pairName(first - 1) + " writes '" + w.path + "' as its " + it->second.role + ", and " +
                                      pairName(pair) + " as its " + w.role;
      message += "; give each pair its own files";
      if (w.role != "output")
        message += " (an option before the manifest, such as " + w.role.substr(0, w.role.find(' ')) +
                   ", names one file for every pair: give it in each pair's options instead)";
      return message;
    }
    for (const Use& r : readBy(pair, options->job)) reads.push_back(r);
  }
  for (const Use& r : reads) {
    const auto w = writes.find(fileKey(r.path));
    if (w != writes.end() && w->second.pair != r.pair)
      return pairName(r.pair) + " reads '" + r.path + "' (its " + r.role + "), which " + pairName(w->second.pair) +
             " writes as its " + w->second.role + "; pairs run in any order and at once, so put the pairs that use " +
             "another pair's result in a second batch, run after the first";
  }
  const std::string s = fileKey(summary);
  if (s == fileKey(manifest)) return "the summary '" + summary + "' is the manifest itself; choose another -summary";
  if (const auto w = writes.find(s); w != writes.end())
    return "the summary '" + summary + "' is also the " + w->second.role + " of " + pairName(w->second.pair) + "; choose another -summary";
  for (const Use& r : reads)
    if (fileKey(r.path) == s)
      return "the summary '" + summary + "' is the " + r.role + " of " + pairName(r.pair) + "; choose another -summary";
  VSIStatBufL st;
  if (VSIStatL(summary.c_str(), &st) == 0 && !VSI_ISREG(st.st_mode))
    return "the summary '" + summary + "' exists and is not a regular file (a folder, device or pipe); choose another -summary";
  const std::string folder = CPLGetPath(summary.c_str());
  if (VSIStatL(folder.empty() ? "." : folder.c_str(), &st) != 0 || !VSI_ISDIR(st.st_mode))
    return "the folder of the summary '" + summary + "' does not exist; create it first";
  return "";
}
