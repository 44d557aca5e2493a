#include "mmreg/coregister.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <set>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/outputs.h"
#include "pipeline/match_context.h"
#include "pipeline/register_rasters.h"

namespace mmreg {
namespace {

// Canonical path when the file exists, for comparing outputs against inputs.
std::string canonical(const std::string& p) {
  char buf[PATH_MAX];
  if (realpath(p.c_str(), buf)) return buf;
  // For a file not yet created: canonical folder + name.
  const std::string dir = CPLGetPath(p.c_str()), name = CPLGetFilename(p.c_str());
  if (realpath(dir.empty() ? "." : dir.c_str(), buf)) return std::string(buf) + "/" + name;
  return p;
}

void checkOutputPath(const std::string& path, const char* what, const CoregisterOptions& o, std::set<std::string>& seen) {
  if (path.empty()) return;
  const std::string c = canonical(path);
  for (const auto* in : {&o.reference, &o.sensed})
    if (c == canonical(*in))
      throw Error(std::string("the ") + what + " '" + path + "' is the same file as the input '" + *in +
                  "'; mmreg never overwrites an input, choose another output path");
  if (!seen.insert(c).second)
    throw Error(std::string("the ") + what + " '" + path + "' is also given for another output; give each output its own path");
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) == 0 && !o.out.overwrite)
    throw Error(std::string("the ") + what + " '" + path + "' already exists; add -overwrite to replace it, or choose another path");
  std::string dir = CPLGetPath(path.c_str());
  if (dir.empty()) dir = ".";
  if (STARTS_WITH(path.c_str(), "/vsimem/")) return;
  if (VSIStatL(dir.c_str(), &st) != 0 || !VSI_ISDIR(st.st_mode))
    throw Error(std::string("the folder of the ") + what + " '" + path + "' does not exist; create it first");
  if (access(dir.c_str(), W_OK) != 0)
    throw Error(std::string("the folder of the ") + what + " '" + path + "' is not writable; choose a folder you can write to");
}

bool endsWith(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() >= x.size() && EQUAL(s.c_str() + s.size() - x.size(), suffix);
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

const char* versionString() { return "0.1.0"; }

Refused::Refused(std::shared_ptr<const CoregisterResult> r)
    : Error("the registration is not verified, so no result was written: " + r->verdict.summary()), result(std::move(r)) {}
VerdictLevel Refused::level() const { return result->verdict.level; }

void validateOptions(const CoregisterOptions& o) {
  GDALAllRegister();
  const auto& m = o.match;
  if (o.reference.empty() || o.sensed.empty()) throw Error("both a reference and a sensed raster are needed");
  if (m.tileSize < 64 || m.tileSize > 8192) throw Error("tile size " + std::to_string(m.tileSize) + " is out of range; use 64 to 8192");
  if (m.searchMargin < 4 || m.searchMargin > m.tileSize)
    throw Error("search margin " + std::to_string(m.searchMargin) + " is out of range; use 4 up to the tile size");
  if (m.maxTiles < 1) throw Error("the tile cap (-max_tiles) must be at least 1");
  if (!(m.maxOffset >= 0)) throw Error("-max_offset must be a distance of 0 or more in the reference CRS units (0: 256 reference pixels)");
  if (m.threads < 0) throw Error("the thread count must be 0 (all cores) or more");
  // Throw for unknown names, missing weights, and a detector the matcher cannot use.
  makeTileMatcher(m.matcher, m.learned, m.detector != "corner" ? makeDetector(m.detector, m.learned) : nullptr);
  if (!(o.fit.checkShare >= 0 && o.fit.checkShare < 0.9))
    throw Error("the check-point share must be in [0, 0.9); 0.2 holds out a fifth of the inliers");
  if (!(o.fit.inlierThreshold > 0)) throw Error("the inlier threshold must be a positive number of pixels");
  if (!(o.verify.maxScaleChange > 0)) throw Error("-max_scale_change must be a positive fraction (0.15: 15 %)");
  if (!(o.verify.maxRotationDeg > 0 && o.verify.maxRotationDeg <= 180)) throw Error("-max_rotation must be in (0, 180] degrees");
  if (!(o.verify.maxAnisotropy >= 1)) throw Error("-max_anisotropy must be at least 1 (1: no shear or unequal stretch allowed)");
  if (!o.out.output.empty()) {
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(o.out.format.c_str());
    if (!drv || (!drv->GetMetadataItem(GDAL_DCAP_CREATE) && !drv->GetMetadataItem(GDAL_DCAP_CREATECOPY)) ||
        !drv->GetMetadataItem(GDAL_DCAP_RASTER))
      throw Error("output format '" + o.out.format + "' is not a GDAL raster driver that can write; try GTiff, COG or VRT");
    static const std::set<std::string> kResampling{"near", "bilinear", "cubic", "cubicspline", "lanczos",
                                                   "average", "rms", "mode", "min", "max", "med", "q1", "q3", "sum"};
    if (!kResampling.count(o.out.resampling))
      throw Error("unknown resampling '" + o.out.resampling + "'; use near, bilinear, cubic, cubicspline, lanczos, average or mode");
    if (o.out.warpMemoryMB < 16) throw Error("the warp memory limit (-wm) must be at least 16 MB");
  }
  if (!o.out.tiePointsPath.empty() && !endsWith(o.out.tiePointsPath, ".gpkg"))
    throw Error("the tie-point file '" + o.out.tiePointsPath + "' must end in .gpkg (a GeoPackage is written)");
  if (!o.out.pointsPath.empty() && !endsWith(o.out.pointsPath, ".points"))
    throw Error("the Georeferencer file '" + o.out.pointsPath + "' must end in .points");
  std::set<std::string> seen;
  checkOutputPath(o.out.output, "output", o, seen);
  checkOutputPath(o.out.reportPath, "report", o, seen);
  checkOutputPath(o.out.tiePointsPath, "tie-point file", o, seen);
  checkOutputPath(o.out.pointsPath, "points file", o, seen);
}

namespace {

// Writes every output of `o.out` for a finished fit, all or nothing.
void writeOutputs(const GeoRaster& ref, const GeoRaster& sen, const CoregisterOptions& o, CoregisterResult& r,
                  const ProgressSpan& progress) {
  const auto t0 = Clock::now();
  OutputTransaction tx;
  if (!o.out.output.empty()) {
    const std::string tmp = tx.stage(o.out.output);
    if (o.out.georefOnly) writeGeorefOnly(ref, sen, *r.fit.forward, o.out, tmp, progress.sub(0, 0.95));
    else writeWarped(ref, sen, *r.fit.forward, o.out, tmp, progress.sub(0, 0.95));
  }
  if (!o.out.tiePointsPath.empty()) writeTiePointsGpkg(ref, r.match.tiePoints, r.fit, tx.stage(o.out.tiePointsPath));
  if (!o.out.pointsPath.empty()) writePointsFile(ref, sen, r.match.tiePoints, r.fit, tx.stage(o.out.pointsPath));
  r.stages.push_back({"outputs", since(t0)});
  if (!o.out.reportPath.empty()) writeReportJson(o, r, tx.stage(o.out.reportPath));
  progress.update(0.97, "renaming outputs");
  tx.commit(o.out.overwrite);
  progress.update(1.0, "done");
}

// A verified result goes on to be written; a doubtful one only when asked. A refused result
// writes the report alone (it records why), then throws Refused.
void acceptOrRefuse(const CoregisterOptions& o, CoregisterResult& r) {
  const bool keep = r.verdict.level == VerdictLevel::Verified ||
                    (r.verdict.level == VerdictLevel::Doubtful && o.verify.keepDoubtful);
  if (keep) return;
  if (!o.out.reportPath.empty()) {
    OutputTransaction tx;
    writeReportJson(o, r, tx.stage(o.out.reportPath));
    tx.commit(o.out.overwrite);
  }
  throw Refused(std::make_shared<CoregisterResult>(std::move(r)));
}

}  // namespace

CoregisterResult coregister(const CoregisterOptions& o, const ProgressFn& progressFn) {
  validateOptions(o);
  const ProgressSpan progress(progressFn, 0, 1);
  const GeoRaster ref = GeoRaster::open(o.reference);
  const GeoRaster sen = GeoRaster::open(o.sensed);
  CoregisterResult r;
  r.referencePixelSize = ref.pixelSize();
  const double matchShare = o.out.output.empty() ? 0.95 : 0.7;
  Registration reg = registerRasters(ref, sen, o.match, o.fit, o.verify, progress.sub(0, matchShare));
  r.match = std::move(reg.match);
  r.fit = std::move(reg.fit);
  r.verdict = std::move(reg.verdict);
  r.stages = r.match.stages;
  acceptOrRefuse(o, r);
  writeOutputs(ref, sen, o, r, progress.sub(matchShare, 1.0));
  return r;
}

CoregisterResult applyTiePoints(const CoregisterOptions& o, const std::vector<TiePoint>& points, const ProgressFn& progressFn) {
  validateOptions(o);
  const ProgressSpan progress(progressFn, 0, 1);
  const GeoRaster ref = GeoRaster::open(o.reference);
  const GeoRaster sen = GeoRaster::open(o.sensed);
  checkReference(ref);
  CoregisterResult r;
  r.referencePixelSize = ref.pixelSize();
  r.match.tiePoints = points;
  r.match.sensedModality = "given tie points";
  const auto t0 = Clock::now();
  r.fit = fitGlobalModel(points, o.fit);
  r.stages.push_back({"global fit", since(t0)});
  progress.update(0.05, "model fitted");
  const auto t1 = Clock::now();
  r.verdict = verifyGivenTiePoints(ref, sen, o.match, o.fit, o.verify, points, r.fit, progress.sub(0.05, 0.15));
  r.stages.push_back({"verdict", since(t1)});
  acceptOrRefuse(o, r);
  writeOutputs(ref, sen, o, r, progress.sub(0.15, 1.0));
  return r;
}

}  // namespace mmreg
