#include "mmreg/coregister.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <set>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/option_table.h"
#include "mmreg/outputs.h"
#include "pipeline/match_context.h"
#include "pipeline/register_rasters.h"
#include "pipeline/rpc_matching.h"
#include "rpc/rpc_refinement.h"

namespace mmreg {
namespace {

void checkOutputPath(const std::string& path, const char* what, const CoregisterOptions& o, std::set<std::string>& seen,
                     bool raster = false) {
  if (path.empty()) return;
  const std::string c = canonicalPath(path);
  for (const auto* in : {&o.reference, &o.sensed})
    if (c == canonicalPath(*in))
      throw Error(std::string("the ") + what + " '" + path + "' is the same file as the input '" + *in +
                  "'; mmreg never overwrites an input, choose another output path");
  if (!seen.insert(c).second)
    throw Error(std::string("the ") + what + " '" + path + "' is also given for another output; give each output its own path");
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) == 0) {
    // -overwrite replaces files; renaming over a device, a pipe or a folder would destroy it.
    if (VSI_ISDIR(st.st_mode))
      throw Error(std::string("the ") + what + " '" + path + "' is a folder; give a file name (in that folder, to write it there)");
    if (!VSI_ISREG(st.st_mode))
      throw Error(std::string("the ") + what + " '" + path + "' exists and is not a regular file (a device or pipe); "
                  "mmreg only replaces regular files, choose another path");
    if (!o.out.overwrite)
      throw Error(std::string("the ") + what + " '" + path + "' already exists; add -overwrite to replace it, or choose another path");
  }
  if (!o.out.overwrite)
    for (const auto& [stale, role] : staleCompanions(path, raster))
      if (VSIStatL(stale.c_str(), &st) == 0)
        throw Error("'" + stale + "' would be read as part of the " + what + " '" + path + "' (" + role +
                    ") and describe another file; remove it, add -overwrite to replace it, or choose another path");
  std::string dir = CPLGetPath(path.c_str());
  if (dir.empty()) dir = ".";
  if (STARTS_WITH(path.c_str(), "/vsimem/")) return;
  // Outputs are written under a temporary name and renamed, which /vsizip/, /vsigzip/, /vsis3/ ... cannot do.
  if (STARTS_WITH(path.c_str(), "/vsi"))
    throw Error(std::string("the ") + what + " '" + path + "' is in a GDAL virtual file system; mmreg writes its outputs " +
                "to local files: write it to a folder, then compress or upload it");
  if (VSIStatL(dir.c_str(), &st) != 0 || !VSI_ISDIR(st.st_mode))
    throw Error(std::string("the folder of the ") + what + " '" + path + "' does not exist; create it first");
  // Create and remove a file: permission bits say nothing about /proc, read-only mounts or root.
  const std::string probe = dir + "/.mmreg-probe-" + std::to_string(getpid());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    throw Error(std::string("cannot create files in the folder of the ") + what + " '" + path + "' (" + std::strerror(errno) +
                "); choose a folder you can write to");
  close(fd);
  unlink(probe.c_str());
}

// -overwrite replaces whole files. A GeoPackage may hold the user's other layers, which
// replacing it would delete (ogr2ogr -overwrite replaces one layer): refuse unless it holds
// nothing but the table mmreg writes (`ours`).
void refuseReplacingOtherTables(const std::string& path, const std::string& ours, const char* what, const CoregisterOptions& o) {
  VSIStatBufL st;
  if (path.empty() || !o.out.overwrite || VSIStatL(path.c_str(), &st) != 0) return;
  CPLPushErrorHandler(CPLQuietErrorHandler);  // most outputs are not GeoPackages
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_RASTER | GDAL_OF_READONLY));
  CPLPopErrorHandler();
  if (!ds || !EQUAL(ds->GetDriver()->GetDescription(), "GPKG")) return;
  std::string others;
  if (OGRLayer* tables = ds->ExecuteSQL("SELECT table_name FROM gpkg_contents", nullptr, nullptr)) {
    for (auto& table : *tables) {
      const std::string name = table->GetFieldAsString(0);
      if (!EQUAL(name.c_str(), ours.c_str())) others += (others.empty() ? "" : ", ") + name;
    }
    ds->ReleaseResultSet(tables);
  }
  if (!others.empty())
    throw Error(std::string("the ") + what + " '" + path + "' is a GeoPackage that also holds " + others +
                "; -overwrite replaces the whole file, which would delete them: write to a GeoPackage of its own");
}

bool endsWith(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() >= x.size() && EQUAL(s.c_str() + s.size() - x.size(), suffix);
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

const char* versionString() { return MMREG_VERSION; }  // project(VERSION) in CMakeLists.txt

Refused::Refused(std::shared_ptr<const CoregisterResult> r)
    : Error("the registration is not verified, so no result was written: " + r->verdict.summary()), result(std::move(r)) {}
VerdictLevel Refused::level() const { return result->verdict.level; }

void validateOptions(const CoregisterOptions& o) {
  GDALAllRegister();
  const auto& m = o.match;
  if (o.reference.empty() || o.sensed.empty()) throw Error("both a reference and a sensed raster are needed");
  checkDeclaredValues(o);  // every range and choice, as declared for the CLI and QGIS
  if (m.searchMargin > m.tileSize)
    throw Error("-margin " + std::to_string(m.searchMargin) + " is larger than the tile size " + std::to_string(m.tileSize) +
                "; use a margin up to the tile size (-tile_size)");
  // Models are loaded once, by the job (missing weights are found then, before any output).
  checkDetectorFits(m.matcher, m.detector);
  if (!o.out.output.empty()) {
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(o.out.format.c_str());
    if (!drv || (!drv->GetMetadataItem(GDAL_DCAP_CREATE) && !drv->GetMetadataItem(GDAL_DCAP_CREATECOPY)) ||
        !drv->GetMetadataItem(GDAL_DCAP_RASTER))
      throw Error("output format '" + o.out.format + "' is not a GDAL raster driver that can write; try GTiff, COG or VRT");
    if (EQUAL(drv->GetDescription(), "MEM"))
      throw Error("output format 'MEM' keeps the raster in memory and writes no file; choose a format that writes one, such as "
                  "GTiff, COG or VRT, or give '-' as the output for no raster");
  }
  if (o.out.rpcRefine && (o.out.output.empty() || o.out.georefOnly))
    throw Error("-rpc_refine writes the sensed raster with corrected RPCs to <output>: give an output path (not '-'), "
                "without -georef_only");
  // An option that only shapes the output raster, given with no output ('-'), is a forgotten
  // output path rather than something to pass over in silence.
  if (o.out.output.empty())
    for (const auto& d : optionTable())
      if (d.scope == kScopeRaster && d.cli != "-overwrite" && d.get(o) != defaultValue(d))  // -overwrite: every output
        throw Error(d.cli + " shapes the output raster, but the output is '-' (no raster): give an output path, or leave " +
                    d.cli + " out");
  if ((o.out.dstNodata || o.out.dstAlpha) && (o.out.output.empty() || o.out.georefOnly || o.out.rpcRefine))
    throw Error("-dstnodata and -dstalpha mark where the warped output has no sensed data; they need a warped raster output "
                "(an output path, without -georef_only or -rpc_refine)");
  if (!o.match.sensedSrs.empty()) {
    OGRSpatialReference srs;
    CPLPushErrorHandler(CPLQuietErrorHandler);  // PROJ's messages go into ours
    const OGRErr err = srs.SetFromUserInput(o.match.sensedSrs.c_str());
    const std::string why = CPLGetLastErrorMsg();
    CPLPopErrorHandler();
    if (err != OGRERR_NONE)
      throw Error("-s_srs '" + o.match.sensedSrs + "' is not a CRS that GDAL and PROJ know (" + why +
                  "); give EPSG:n, WKT or a PROJ string, as gdalwarp -s_srs takes");
  }
  if (!o.match.dem.empty() && o.match.rpcHeight)
    throw Error("give either -dem or -rpc_height, not both: the DEM gives the heights");
  if (!o.out.tiePointsPath.empty() && tiePointFormatFor(o.out.tiePointsPath).empty())
    throw Error("no GDAL vector driver writes the tie-point file '" + o.out.tiePointsPath +
                "' (by its extension); end it in .gpkg, .shp, .geojson, .csv or .fgb");
  if (!o.out.htmlPath.empty() && !endsWith(o.out.htmlPath, ".html") && !endsWith(o.out.htmlPath, ".htm"))
    throw Error("the HTML report '" + o.out.htmlPath + "' must end in .html");
  if (!o.out.pointsPath.empty() && !endsWith(o.out.pointsPath, ".points"))
    throw Error("the Georeferencer file '" + o.out.pointsPath + "' must end in .points");
  std::set<std::string> seen;
  checkOutputPath(o.out.output, "output", o, seen, /*raster=*/true);
  checkOutputPath(o.out.reportPath, "report", o, seen);
  checkOutputPath(o.out.htmlPath, "HTML report", o, seen);
  checkOutputPath(o.out.tiePointsPath, "tie-point file", o, seen);
  checkOutputPath(o.out.pointsPath, "points file", o, seen);
  refuseReplacingOtherTables(o.out.output, geoPackageRasterTable(o.out), "output", o);
  refuseReplacingOtherTables(o.out.tiePointsPath, "tie_points", "tie-point file", o);
}

namespace {

// Every file of the inputs (GDAL's list: a header, a world file, a mask, a VRT's sources), which
// no output file may replace, as a driver's companion file could ("scene.hdr" of ENVI "scene.dat").
void protectInputs(const CoregisterOptions& o, OutputTransaction& tx) {
  for (const auto* path : {&o.reference, &o.sensed}) {
    tx.protect(*path, *path);
    GDALDatasetH ds = GDALOpenEx(path->c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!ds) continue;
    char** files = GDALGetFileList(ds);
    for (int i = 0; files && files[i]; ++i) tx.protect(files[i], *path);
    CSLDestroy(files);
    GDALClose(ds);
  }
}

// Writes `finalPath` through `write` under its temporary name. The user knows the file by the
// name they gave, so a writer's error names that one, not the temporary.
template <typename Write>
void writeStaged(OutputTransaction& tx, const std::string& finalPath, const Write& write, bool raster = false) {
  const std::string temporary = tx.stage(finalPath, raster);
  try {
    write(temporary);
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    std::string message = e.what();
    for (size_t at = message.find(temporary); at != std::string::npos; at = message.find(temporary, at + finalPath.size()))
      message.replace(at, temporary.size(), finalPath);
    throw Error(message);
  }
}

// Writes every output of `o.out` for a finished fit, all or nothing.
void writeOutputs(const GeoRaster& ref, const GeoRaster& sen, const CoregisterOptions& o, CoregisterResult& r,
                  const ProgressSpan& progress) {
  const auto t0 = Clock::now();
  OutputTransaction tx;
  protectInputs(o, tx);
  if (!o.out.output.empty())
    writeStaged(tx, o.out.output, [&](const std::string& path) {
      if (o.out.rpcRefine) writeRefinedRpc(sen, *r.rpc, o.out, path, progress.sub(0, 0.95));
      else if (o.out.georefOnly) writeGeorefOnly(ref, sen, *r.fit.forward, o.out, path, progress.sub(0, 0.95));
      else writeWarped(ref, sen, *r.fit.forward, o.out, path, progress.sub(0, 0.95));
    }, /*raster=*/true);
  if (!o.out.tiePointsPath.empty())
    writeStaged(tx, o.out.tiePointsPath, [&](const std::string& path) { writeTiePoints(ref, r.match.tiePoints, r.fit, path); });
  if (!o.out.pointsPath.empty())
    writeStaged(tx, o.out.pointsPath, [&](const std::string& path) { writePointsFile(ref, sen, r.match.tiePoints, r.fit, path); });
  r.stages.push_back({"outputs", since(t0)});
  if (!o.out.reportPath.empty()) writeStaged(tx, o.out.reportPath, [&](const std::string& path) { writeReportJson(o, r, path); });
  if (!o.out.htmlPath.empty())
    writeStaged(tx, o.out.htmlPath, [&](const std::string& path) { writeReportHtml(ref, sen, o, r, path); });
  progress.update(0.97, "renaming outputs");
  tx.commit(o.out.overwrite);
  progress.update(1.0, "done");
}

// What the warped output cannot take, refused before the matching rather than after it: a
// rotated reference grid, and a -dstnodata the sensed data type cannot hold (GDAL would clamp
// -1 to 0 on bytes with a mere warning, and real black pixels would become nodata).
void checkWarpedOutput(const GeoRaster& ref, const GeoRaster& sen, const OutputOptions& out) {
  if (out.output.empty() || out.georefOnly || out.rpcRefine) return;
  if (out.dstNodata) {
    int clamped = FALSE, rounded = FALSE;
    const GDALDataType type = sen.handle()->GetRasterBand(1)->GetRasterDataType();
    GDALAdjustValueToDataType(type, *out.dstNodata, &clamped, &rounded);
    if (clamped || rounded)
      throw Error(std::string("-dstnodata ") + CPLSPrintf("%g", *out.dstNodata) + " cannot occur in the output, whose pixels are " +
                  GDALGetDataTypeName(type) + " as the sensed raster's; give a value of that type (such as 0 or 255 for 8-bit " +
                  "images), or -dstalpha");
  }
  if (out.grid != OutputGrid::Reference) return;
  if (isRotatedGrid(ref))
    throw Error("the reference '" + ref.path() +
                "' has a rotated grid, which the warped output cannot reproduce (-target ref); use -target own (a north-up "
                "grid in the reference CRS), -georef_only, or make the reference north-up first (gdalwarp)");
}

// Ground metres per sensed pixel near the overlap's centre, through the fitted model.
double sensedPixelSize(const CoregisterResult& r) {
  const Point2 c{r.match.overlap.x + r.match.overlap.width / 2.0, r.match.overlap.y + r.match.overlap.height / 2.0};
  const Point2 s = r.fit.inverse->apply(c);
  const Point2 a = r.fit.forward->apply(s), b = r.fit.forward->apply({s.x + 1, s.y}), d = r.fit.forward->apply({s.x, s.y + 1});
  return r.referencePixelMetres * std::sqrt(std::abs((b.x - a.x) * (d.y - a.y) - (d.x - a.x) * (b.y - a.y)));
}

// -rpc_refine: the RPC correction, judged like a model: it fails when its check points miss.
void refineAndJudgeRpc(const GeoRaster& ref, const GeoRaster& sen, const CoregisterOptions& o, CoregisterResult& r,
                       const ProgressSpan& progress) {
  const auto t0 = Clock::now();
  r.rpc = refineRpcByMatching(ref, sen, o.match, o.fit, r.match, sensedPixelSize(r), progress);
  r.stages.push_back({"rpc refinement", since(t0)});
  const FitResult& f = r.rpc->fit;
  std::string why;
  if (f.inlierCount < minimumInliers(f.forward->type()))
    why = "only " + std::to_string(f.inlierCount) + " tie points agree on the RPC correction";
  else if (!(f.rmseCheck <= o.fit.inlierThreshold))
    why = "the refined RPCs miss their check points by " + std::string(CPLSPrintf("%.2f", f.rmseCheck)) + " px (threshold " +
          CPLSPrintf("%.2f", o.fit.inlierThreshold) + ")";
  if (why.empty()) return;
  r.verdict.level = VerdictLevel::Failed;
  r.verdict.reasons.push_back(why);
  r.verdict.advice = r.rpc->flatGround ? "over relief, give a DEM (-dem) so that tie points are placed at their height"
                                       : "check that the DEM covers the scene and uses the RPCs' height reference (ellipsoid)";
}

// GDAL's block cache set for a run and restored when the last run ends. QGIS shares it and runs
// algorithms at once in background tasks: restoring at each run's end left a finished run's
// size in force for good when runs overlapped.
class ScopedBlockCache {
 public:
  explicit ScopedBlockCache(int mb) {
    if (CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) return;  // the user's own setting
    const std::lock_guard<std::mutex> lock(mutex_);
    if (runs_++ == 0) saved_ = GDALGetCacheMax64();
    GDALSetCacheMax64(static_cast<GIntBig>(mb) * 1024 * 1024);
    set_ = true;
  }
  ~ScopedBlockCache() {
    if (!set_) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (--runs_ == 0) GDALSetCacheMax64(saved_);
  }
  ScopedBlockCache(const ScopedBlockCache&) = delete;
  ScopedBlockCache& operator=(const ScopedBlockCache&) = delete;

 private:
  static inline std::mutex mutex_;
  static inline int runs_ = 0;
  static inline GIntBig saved_ = 0;
  bool set_ = false;
};

// A verified result goes on to be written; a doubtful one only when asked. A refused result
// writes the reports alone (they record why), then throws Refused.
void acceptOrRefuse(const GeoRaster& ref, const GeoRaster& sen, const CoregisterOptions& o, CoregisterResult& r) {
  const bool keep = r.verdict.level == VerdictLevel::Verified ||
                    (r.verdict.level == VerdictLevel::Doubtful && o.verify.keepDoubtful);
  if (keep) return;
  OutputTransaction tx;
  if (!o.out.reportPath.empty()) writeStaged(tx, o.out.reportPath, [&](const std::string& path) { writeReportJson(o, r, path); });
  if (!o.out.htmlPath.empty())
    writeStaged(tx, o.out.htmlPath, [&](const std::string& path) { writeReportHtml(ref, sen, o, r, path); });
  tx.commit(o.out.overwrite);
  throw Refused(std::make_shared<CoregisterResult>(std::move(r)));
}

// Runs a validated job. Where it ends in an error, the JSON report still records why; a refusal
// writes its own reports, and a cancel writes nothing.
template <class Job>
CoregisterResult reportingFailures(const CoregisterOptions& o, Job job) {
  try {
    return job();
  } catch (const Refused&) {
    throw;
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    if (o.out.reportPath.empty()) throw;
    try {
      OutputTransaction tx;
      writeFailureReportJson(o, e.what(), tx.stage(o.out.reportPath));
      tx.commit(o.out.overwrite);
    } catch (const Error& reportError) {
      throw Error(std::string(e.what()) + "; and " + reportError.what());
    }
    throw;
  }
}

CoregisterResult coregisterValidated(const CoregisterOptions& o, const ProgressFn& progressFn) {
  const ScopedBlockCache cache(o.match.cacheMB);
  const ProgressSpan progress(progressFn, 0, 1);
  const GeoRaster ref = GeoRaster::open(o.reference, o.referenceNodata);
  const GeoRaster sen = GeoRaster::open(o.sensed, o.sensedNodata);
  if (o.out.rpcRefine) checkRpcInputs(ref, sen, o.match);
  checkWarpedOutput(ref, sen, o.out);
  checkOutputCanHoldThePixels(sen, o.out);
  CoregisterResult r;
  r.referencePixelMetres = groundPixelSizeMetres(ref);
  const double matchShare = o.out.output.empty() ? 0.95 : 0.7;
  Registration reg = registerRasters(ref, sen, o.match, o.fit, o.verify, progress.sub(0, matchShare));
  r.match = std::move(reg.match);
  r.fit = std::move(reg.fit);
  r.verdict = std::move(reg.verdict);
  r.warnings = std::move(reg.warnings);
  if ((!o.match.dem.empty() || o.match.rpcHeight) && sen.georefKind() != GeorefKind::Rpc)
    r.warnings.push_back(std::string(o.match.dem.empty() ? "-rpc_height" : "-dem") +
                         " applies to a sensed raster georeferenced by RPCs; '" + sen.path() + "' has none, so it was not used");
  r.stages = r.match.stages;
  const double refineShare = o.out.rpcRefine ? 0.1 : 0;
  if (o.out.rpcRefine && r.verdict.level != VerdictLevel::Failed)
    refineAndJudgeRpc(ref, sen, o, r, progress.sub(matchShare, matchShare + refineShare));
  acceptOrRefuse(ref, sen, o, r);
  writeOutputs(ref, sen, o, r, progress.sub(matchShare + refineShare, 1.0));
  return r;
}

CoregisterResult applyTiePointsValidated(const CoregisterOptions& o, const std::vector<TiePoint>& points,
                                         const ProgressFn& progressFn) {
  const ScopedBlockCache cache(o.match.cacheMB);
  const ProgressSpan progress(progressFn, 0, 1);
  const GeoRaster ref = GeoRaster::open(o.reference, o.referenceNodata);
  const GeoRaster sen = GeoRaster::open(o.sensed, o.sensedNodata);
  checkReference(ref);
  checkWarpedOutput(ref, sen, o.out);
  checkOutputCanHoldThePixels(sen, o.out);
  CoregisterResult r;
  r.referencePixelMetres = groundPixelSizeMetres(ref);
  r.match.tiePoints = points;
  r.match.sensedModality = "given tie points";
  if (points.size() < tiePointsNeeded(o.fit.model))
    throw Error("too few tie points to fit: " + std::to_string(points.size()) + " given (points with inlier = 0 are left out), " +
                std::to_string(tiePointsNeeded(o.fit.model)) + " needed for the model; enable or add tie points, or choose a "
                "simpler model");
  const auto t0 = Clock::now();
  r.fit = fitGlobalModel(points, o.fit);
  r.stages.push_back({"global fit", since(t0)});
  progress.update(0.05, "model fitted");
  const auto t1 = Clock::now();
  r.verdict = verifyGivenTiePoints(ref, sen, o.match, o.fit, o.verify, points, r.fit, progress.sub(0.05, 0.15));
  r.stages.push_back({"verdict", since(t1)});
  acceptOrRefuse(ref, sen, o, r);
  writeOutputs(ref, sen, o, r, progress.sub(0.15, 1.0));
  return r;
}

}  // namespace

CoregisterResult coregister(const CoregisterOptions& o, const ProgressFn& progress) {
  validateOptions(o);
  return reportingFailures(o, [&] { return coregisterValidated(o, progress); });
}

CoregisterResult applyTiePoints(const CoregisterOptions& o, const std::vector<TiePoint>& points, const ProgressFn& progress) {
  validateOptions(o);
  return reportingFailures(o, [&] { return applyTiePointsValidated(o, points, progress); });
}

}  // namespace mmreg
