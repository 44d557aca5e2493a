#include <cpl_vsi.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "mmreg/error.h"
#include "mmreg/outputs.h"

namespace mmreg {
namespace {

constexpr size_t kNameMax = NAME_MAX;  // bytes of one path component (255 on Linux file systems)

bool exists(const std::string& path) {
  VSIStatBufL st;
  return VSIStatL(path.c_str(), &st) == 0;
}

// Files GDAL may write beside a raster: PAM metadata, and an external mask (formats without
// internal masks).
constexpr const char* kSidecars[] = {".aux.xml", ".msk"};

// Renames `from` to `to` with its sidecars, those there are.
bool renameWithSidecar(const std::string& from, const std::string& to) {
  if (VSIRename(from.c_str(), to.c_str()) != 0) return false;
  for (const char* s : kSidecars)
    if (exists(from + s)) VSIRename((from + s).c_str(), (to + s).c_str());
  return true;
}

void removeWithSidecar(const std::string& path) {
  VSIUnlink(path.c_str());
  for (const char* s : kSidecars) VSIUnlink((path + s).c_str());
}

}  // namespace

std::string OutputTransaction::stage(const std::string& finalPath) {
  // Same folder (so the rename is atomic) and same extension (drivers look at it). The tag comes
  // first and the name is cut, so that a legal final name never makes an illegal temporary one.
  const size_t slash = finalPath.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : finalPath.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? finalPath : finalPath.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  const std::string ext = dot == std::string::npos || base.size() - dot > 16 ? "" : base.substr(dot);
  const std::string tag = ".mmreg-tmp-" + std::to_string(getpid()) + "-" + std::to_string(files_.size()) + "-";
  // Room for the tag, the extension, ".old" (commit) and the ".aux.xml" sidecar GDAL may add.
  const size_t room = kNameMax - tag.size() - ext.size() - std::strlen(".old.aux.xml");
  const std::string tmp = dir + tag + base.substr(0, std::min(room, base.size() - ext.size())) + ext;
  files_.push_back({tmp, finalPath, ""});
  return tmp;
}

void OutputTransaction::commit(bool overwrite) {
  for (const auto& f : files_) {
    if (!exists(f.temporary)) throw Error("internal: output '" + f.final + "' was not written");
    if (!overwrite && exists(f.final))
      throw Error("'" + f.final + "' appeared while mmreg was running; nothing was overwritten, run again with -overwrite");
  }
  // Phase 1: set existing outputs aside, so that a failure can put them back. Phase 2: move the
  // new files in. Any failure undoes every step taken, in reverse.
  size_t asideDone = 0, renamed = 0;
  std::string failure;
  for (; asideDone < files_.size(); ++asideDone) {
    auto& f = files_[asideDone];
    if (!exists(f.final)) continue;
    f.aside = f.temporary + ".old";
    if (!renameWithSidecar(f.final, f.aside)) {
      failure = "cannot move the existing '" + f.final + "' aside (" + std::strerror(errno) + ")";
      f.aside.clear();
      break;
    }
  }
  if (failure.empty())
    for (; renamed < files_.size(); ++renamed) {
      const auto& f = files_[renamed];
      if (!renameWithSidecar(f.temporary, f.final)) {
        failure = "cannot rename '" + f.temporary + "' to '" + f.final + "' (" + std::strerror(errno) + ")";
        break;
      }
    }
  if (failure.empty()) {
    for (const auto& f : files_)
      if (!f.aside.empty()) removeWithSidecar(f.aside);
    committed_ = true;
    return;
  }
  while (renamed > 0) {
    const auto& f = files_[--renamed];
    renameWithSidecar(f.final, f.temporary);  // the destructor removes it
  }
  for (size_t i = 0; i < asideDone && i < files_.size(); ++i)
    if (!files_[i].aside.empty()) renameWithSidecar(files_[i].aside, files_[i].final);
  throw Error(failure + "; no output was changed. Check the permissions and free space of the output folder");
}

OutputTransaction::~OutputTransaction() {
  if (committed_) return;
  for (const auto& f : files_) removeWithSidecar(f.temporary);
}

}  // namespace mmreg
