#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
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

// "dir/" of "dir/name", "" of "name".
std::string folderOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// The path without its name's extension ("dir/x.tif" -> "dir/x"; ".hidden" stays).
std::string stemOf(const std::string& path) {
  const size_t start = folderOf(path).size(), dot = path.find_last_of('.');
  return dot == std::string::npos || dot <= start ? path : path.substr(0, dot);
}

// Sidecars under an existing output's full name that would describe the new file if left beside
// it: PAM metadata, an external mask, and external overviews (gdaladdo -ro), which QGIS would
// draw, zoomed out, from the old image.
constexpr struct {
  const char* suffix;
  const char* role;
} kSidecars[] = {{".aux.xml", "its metadata and georeferencing"}, {".msk", "its mask"}, {".ovr", "its overviews"}};

// Every file written for the temporary `tmp`: itself first, then the names beginning with its stem,
// which a driver derives from it (an ENVI or EHdr header "x.hdr", a world file "x.wld", PAM
// metadata "x.tif.aux.xml", overviews "x.tif.ovr"). The stem carries the transaction's tag, so
// no other file can match.
std::vector<std::string> writtenFiles(const std::string& tmp) {
  std::vector<std::string> out;
  if (exists(tmp)) out.push_back(tmp);
  const std::string folder = folderOf(tmp), stem = stemOf(tmp).substr(folder.size());
  char** names = VSIReadDir(folder.empty() ? "." : folder.c_str());
  for (int i = 0; names && names[i]; ++i)
    if (std::strncmp(names[i], stem.c_str(), stem.size()) == 0 && folder + names[i] != tmp) out.push_back(folder + names[i]);
  CSLDestroy(names);
  return out;
}

struct Move {
  std::string from, to;
  std::string output;  // the output the file belongs to (its main file, or one written with it)
};

// Renames each move in order, stopping at the first failure: `done` counts those made (undo()
// takes them back); returns the failure's reason, "" when all were made.
std::string moveAll(const std::vector<Move>& moves, size_t& done) {
  for (done = 0; done < moves.size(); ++done)
    if (VSIRename(moves[done].from.c_str(), moves[done].to.c_str()) != 0)
      return "cannot rename '" + moves[done].from + "' to '" + moves[done].to + "' (" + std::strerror(errno) + ")";
  return "";
}

void undo(const std::vector<Move>& moves, size_t done) {
  while (done > 0) {
    const auto& m = moves[--done];
    VSIRename(m.to.c_str(), m.from.c_str());
  }
}

}  // namespace

std::string canonicalPath(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf)) return buf;
  // For a file not yet created: canonical folder + name.
  const std::string folder = folderOf(path), name = path.substr(folder.size());
  if (realpath(folder.empty() ? "." : folder.c_str(), buf)) return std::string(buf) + "/" + name;
  return path;
}

std::vector<Companion> staleCompanions(const std::string& path, bool raster) {
  const std::string stem = stemOf(path), ext = CPLGetExtension(path.c_str());
  std::vector<std::string> suffixes;
  const bool shapefile = EQUAL(ext.c_str(), "shp");
  if (shapefile) suffixes = {"qix", "sbn", "sbx"};
  else if (raster) {
    // GDAL's world file names: "tfw" (the extension's first and last letters), "tifw", "wld".
    if (ext.size() >= 2) suffixes = {ext.substr(0, 1) + ext.back() + "w", ext + "w"};
    suffixes.push_back("wld");  // not a MapInfo .tab: it may be a vector table of the same name
  }
  std::vector<Companion> out;
  if (raster)  // an orphan .aux.xml even comes before the file's own georeferencing
    for (const auto& s : kSidecars) out.push_back({path + s.suffix, s.role});
  for (const auto& s : suffixes)
    for (const std::string& cased : {std::string(CPLString(s).tolower()), std::string(CPLString(s).toupper())})
      if (stem + "." + cased != path) out.push_back({stem + "." + cased, shapefile ? "its spatial index" : "its georeferencing"});
  return out;
}

std::string OutputTransaction::stage(const std::string& finalPath, bool raster) {
  // Same folder (so the rename is atomic) and same extension (drivers look at it). The tag comes
  // first and the name is cut, so that a legal final name never makes an illegal temporary one.
  const std::string dir = folderOf(finalPath), base = finalPath.substr(dir.size());
  const size_t dot = base.find_last_of('.');
  const std::string ext = dot == std::string::npos || base.size() - dot > 16 ? "" : base.substr(dot);
  const std::string tag = ".mmreg-tmp-" + std::to_string(getpid()) + "-" + std::to_string(files_.size()) + "-";
  // Room for the tag, the extension and the ".aux.xml" sidecar GDAL may add.
  const size_t room = kNameMax - tag.size() - ext.size() - std::strlen(".aux.xml");
  const std::string tmp = dir + tag + base.substr(0, std::min(room, base.size() - ext.size())) + ext;
  files_.push_back({tmp, finalPath, staleCompanions(finalPath, raster)});
  return tmp;
}

void OutputTransaction::protect(const std::string& path, const std::string& input) {
  protected_.emplace_back(canonicalPath(path), input);
}

void OutputTransaction::commit(bool overwrite) {
  // The new files and their final names; the main file's is given, its companions' follow its stem.
  std::vector<Move> in;
  std::vector<std::string> replaced;  // existing files that the new ones replace
  for (const auto& f : files_) {
    if (!exists(f.temporary)) throw Error("internal: output '" + f.final + "' was not written");
    const auto written = writtenFiles(f.temporary);
    in.push_back({written[0], f.final, f.final});
    const std::string tmpStem = stemOf(f.temporary), finalStem = stemOf(f.final);
    for (size_t i = 1; i < written.size(); ++i) in.push_back({written[i], finalStem + written[i].substr(tmpStem.size()), f.final});
    if (exists(f.final))
      for (const auto& s : kSidecars)
        if (exists(f.final + s.suffix)) replaced.push_back(f.final + s.suffix);
    for (const auto& [s, role] : f.stale) {
      if (!exists(s)) continue;
      for (const auto& [path, input] : protected_)
        if (path == canonicalPath(s))
          throw Error("'" + s + "', a file of the input '" + input + "', would be read as part of the output '" + f.final + "' (" +
                      role + "); nothing was written, choose another output name");
      if (!overwrite)
        throw Error("'" + s + "' would be read as part of the output '" + f.final + "' (" + role + ") and describe the old " +
                    "file; nothing was overwritten, remove it or run again with -overwrite");
      if (std::find(replaced.begin(), replaced.end(), s) == replaced.end()) replaced.push_back(s);
    }
  }
  for (const auto& m : in) {
    const std::string target = canonicalPath(m.to);
    for (const auto& [path, input] : protected_)
      if (path == target)
        throw Error("writing '" + m.to + "' would replace a file of the input '" + input +
                    "'; nothing was written, choose another output name");
    if (!exists(m.to)) continue;
    // Renaming over a folder, a device or a pipe would set it aside and delete it.
    VSIStatBufL st;
    if (VSIStatL(m.to.c_str(), &st) == 0 && !VSI_ISREG(st.st_mode))
      throw Error("'" + m.to + "' exists and is not a regular file (a folder, device or pipe); nothing was written, " +
                  "choose another name");
    if (!overwrite && m.to == m.output)
      throw Error("'" + m.to + "' appeared while mmreg was running; nothing was overwritten, run again with -overwrite");
    if (!overwrite)
      throw Error("'" + m.to + "', a file the output '" + m.output + "' comes with, already exists; nothing was " +
                  "overwritten, run again with -overwrite or choose another output name");
    if (std::find(replaced.begin(), replaced.end(), m.to) == replaced.end()) replaced.push_back(m.to);
  }
  // Phase 1: set the replaced files aside, so that a failure can put them back. Phase 2: move the
  // new files in. Any failure undoes every step taken, in reverse.
  std::vector<Move> aside;
  for (size_t i = 0; i < replaced.size(); ++i)
    aside.push_back({replaced[i], folderOf(replaced[i]) + ".mmreg-old-" + std::to_string(getpid()) + "-" + std::to_string(i), ""});
  size_t asideDone = 0, inDone = 0;
  std::string failure = moveAll(aside, asideDone);
  if (!failure.empty()) failure = "cannot move an existing output aside: " + failure;
  else failure = moveAll(in, inDone);
  if (failure.empty()) {
    for (const auto& a : aside) VSIUnlink(a.to.c_str());
    committed_ = true;
    return;
  }
  undo(in, inDone);  // the destructor removes the temporaries
  undo(aside, asideDone);
  throw Error(failure + "; no output was changed. Check the permissions and free space of the output folder");
}

OutputTransaction::~OutputTransaction() {
  if (committed_) return;
  for (const auto& f : files_)
    for (const auto& w : writtenFiles(f.temporary)) {
      // A driver may write a folder (Zarr).
      VSIStatBufL st;
      if (VSIStatL(w.c_str(), &st) == 0 && VSI_ISDIR(st.st_mode)) VSIRmdirRecursive(w.c_str());
      else VSIUnlink(w.c_str());
    }
}

}  // namespace mmreg
