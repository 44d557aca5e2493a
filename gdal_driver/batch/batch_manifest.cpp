#include "batch/batch_manifest.h"

#include <cpl_conv.h>

#include <fstream>
#include <sstream>

#include "mmreg/error.h"

namespace {

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string resolved(const std::string& dir, const std::string& path) {
  if (path.empty() || path == "-" || path[0] == '/' || path.rfind("/vsi", 0) == 0) return path;
  return dir.empty() ? path : dir + "/" + path;
}

}  // namespace

std::vector<BatchPair> readManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw mmreg::Error("cannot read the manifest '" + path + "'; check the path");
  const std::string dir = CPLGetPath(path.c_str());
  std::vector<BatchPair> pairs;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    line = trimmed(line);
    if (line.empty() || line[0] == '#' || (pairs.empty() && line.rfind("reference", 0) == 0)) continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(trimmed(f));
    if (fields.size() < 3 || fields.size() > 4 || fields[0].empty() || fields[1].empty() || fields[2].empty())
      throw mmreg::Error("manifest '" + path + "' line " + std::to_string(n) +
                         ": expected reference,sensed,output[,options], got '" + line + "'");
    BatchPair p{resolved(dir, fields[0]), resolved(dir, fields[1]), resolved(dir, fields[2]), {}};
    if (fields.size() == 4) {
      std::stringstream opts(fields[3]);
      for (std::string o; opts >> o;) p.options.push_back(o);
    }
    pairs.push_back(std::move(p));
  }
  if (pairs.empty()) throw mmreg::Error("the manifest '" + path + "' lists no pair; write one reference,sensed,output per line");
  return pairs;
}
