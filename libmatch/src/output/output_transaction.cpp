#include <cpl_vsi.h>
#include <unistd.h>

#include <cstdio>

#include "mmreg/error.h"
#include "mmreg/outputs.h"

namespace mmreg {

std::string OutputTransaction::stage(const std::string& finalPath) {
  // Same folder (so the rename is atomic) and same extension (drivers look at it).
  const size_t slash = finalPath.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : finalPath.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? finalPath : finalPath.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  const std::string ext = dot == std::string::npos ? "" : base.substr(dot);
  const std::string tmp = dir + "." + base + ".mmreg-tmp-" + std::to_string(getpid()) + "-" +
                          std::to_string(files_.size()) + ext;
  files_.emplace_back(tmp, finalPath);
  return tmp;
}

static void removeWithSidecars(const std::string& path) {
  VSIUnlink(path.c_str());
  VSIUnlink((path + ".aux.xml").c_str());
}

void OutputTransaction::commit(bool overwrite) {
  for (auto& [tmp, fin] : files_) {
    VSIStatBufL st;
    if (VSIStatL(tmp.c_str(), &st) != 0) throw Error("internal: output '" + fin + "' was not written");
    if (!overwrite && VSIStatL(fin.c_str(), &st) == 0)
      throw Error("'" + fin + "' appeared while mmreg was running; nothing was overwritten, run again with -overwrite");
  }
  for (auto& [tmp, fin] : files_) {
    if (VSIRename(tmp.c_str(), fin.c_str()) != 0)
      throw Error("cannot rename '" + tmp + "' to '" + fin + "'; check permissions on the output folder");
    VSIStatBufL st;
    if (VSIStatL((tmp + ".aux.xml").c_str(), &st) == 0) VSIRename((tmp + ".aux.xml").c_str(), (fin + ".aux.xml").c_str());
  }
  committed_ = true;
}

OutputTransaction::~OutputTransaction() {
  if (committed_) return;
  for (auto& f : files_) removeWithSidecars(f.first);
}

}  // namespace mmreg
