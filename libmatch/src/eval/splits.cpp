#include "mmreg/splits.h"

#include <cpl_json.h>

#include <cstdint>

#include "mmreg/error.h"

namespace mmreg {
namespace {

// FNV-1a: a stable hash, so a pair's split never depends on the platform or the run.
std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

SplitSpec loadSplits(const std::string& path) {
  CPLJSONDocument doc;
  if (!doc.Load(path)) throw Error("cannot read the split file '" + path + "'; it ships as models/splits.json");
  const CPLJSONObject root = doc.GetRoot();
  SplitSpec s;
  for (const auto& g : root.GetArray("test/groups")) s.testGroups.push_back(g.ToString());
  for (const auto& g : root.GetArray("validation/groups")) s.validationGroups.push_back(g.ToString());
  for (const auto& kv : root.GetObj("validation/hash_share").GetChildren()) s.validationShare[kv.GetName()] = kv.ToDouble();
  if (s.testGroups.empty()) throw Error("the split file '" + path + "' names no test groups");
  return s;
}

std::string splitOf(const AlignedPair& p, const SplitSpec& s) {
  const std::string key = p.source + "/" + p.group;
  for (const auto& g : s.testGroups)
    if (g == key) return "test";
  for (const auto& g : s.validationGroups)
    if (g == key) return "validation";
  const auto it = s.validationShare.find(key);
  if (it != s.validationShare.end() && (fnv1a(p.name) % 1000) < it->second * 1000) return "validation";
  return "train";
}

std::vector<AlignedPair> selectSplit(const std::vector<AlignedPair>& pairs, const SplitSpec& s, const std::string& split) {
  std::vector<AlignedPair> out;
  for (const auto& p : pairs)
    if (splitOf(p, s) == split) out.push_back(p);
  return out;
}

}  // namespace mmreg
