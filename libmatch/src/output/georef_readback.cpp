#include "output/georef_readback.h"

#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <memory>

#include "mmreg/error.h"

namespace mmreg {
namespace {

constexpr const char* kAdvice = "write GTiff, COG or VRT instead";
constexpr const char* kGcpAdvice = "write GTiff or VRT instead (they keep GCPs), or fit -model affine, which a geotransform holds";
// How far a format may move a written position, in pixels (of the reference, or of the image for
// RPCs): rounding, not a loss.
constexpr double kKeptPixels = 0.05;

// `movedPixels`: how far the format moved positions, where it kept something (0: it dropped it).
[[noreturn]] void lost(const std::string& path, const std::string& format, const std::string& what, const char* advice,
                       double movedPixels = 0) {
  const std::string moved = movedPixels > 0 ? CPLSPrintf(" (it moves positions by %.2f px)", movedPixels) : "";
  throw Error("the " + format + " format did not keep " + what + " in '" + path + "'" + moved +
              ", so that output would not carry the registration; " + advice);
}

bool isIdentity(const GeoTransform& g) { return g[0] == 0 && g[1] == 1 && g[2] == 0 && g[3] == 0 && g[4] == 0 && std::abs(g[5]) == 1; }

double worstDistance(const std::vector<Point2>& a, const std::vector<Point2>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::hypot(a[i].x - b[i].x, a[i].y - b[i].y));
  return worst;
}

// The written file, opened again, or an Error that says it cannot be.
GDALDatasetUniquePtr readBack(const std::string& path, const std::string& format) {
  CPLErrorReset();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) {
    const std::string why = CPLGetLastErrorMsg();
    throw Error("the " + format + " file written at '" + path + "' cannot be read back by GDAL" + (why.empty() ? "" : " (" + why + ")") +
                "; " + kAdvice);
  }
  return ds;
}

}  // namespace

void checkGeorefKept(const std::string& path, const std::string& format, const WrittenGeoref& w) {
  const GDALDatasetUniquePtr ds = readBack(path, format);
  // Map positions as the file stores them, next to where they should be (none: any grid).
  std::vector<Point2> stored, wanted;
  const OGRSpatialReference* storedCrs = nullptr;
  const char* advice = kAdvice;
  std::string what;
  if (!w.gcps.empty()) {
    what = "the GCPs of the fitted model", advice = kGcpAdvice;
    if (ds->GetGCPCount() != static_cast<int>(w.gcps.size())) lost(path, format, what, advice);
    const GDAL_GCP* g = ds->GetGCPs();
    for (size_t i = 0; i < w.gcps.size(); ++i) {
      if (std::abs(g[i].dfGCPPixel - w.gcps[i].first.x) > 1e-3 || std::abs(g[i].dfGCPLine - w.gcps[i].first.y) > 1e-3)
        lost(path, format, what, advice);
      stored.push_back({g[i].dfGCPX, g[i].dfGCPY});
      wanted.push_back(w.gcps[i].second);
    }
    storedCrs = ds->GetGCPSpatialRef();
  } else {
    what = "the geotransform";
    // A raster without one reads as the identity, which is what an unreferenced reference gives.
    const GeoTransform identity{0, 1, 0, 0, 0, 1};
    GeoTransform gt = identity;
    if (ds->GetGeoTransform(gt.data()) != CE_None) gt = identity;
    if (!w.geoTransform && !w.crsWkt.empty() && isIdentity(gt)) lost(path, format, what, advice);
    const double width = ds->GetRasterXSize(), height = ds->GetRasterYSize();
    for (const Point2 corner : {Point2{0, 0}, Point2{width, 0}, Point2{0, height}, Point2{width, height}}) {
      stored.push_back(applyGeoTransform(gt, corner));
      if (w.geoTransform) wanted.push_back(applyGeoTransform(*w.geoTransform, corner));
    }
    storedCrs = ds->GetSpatialRef();
  }
  const double tolerance = kKeptPixels * w.pixelMapUnits;
  if (!wanted.empty() && worstDistance(stored, wanted) > tolerance)
    lost(path, format, what, advice, worstDistance(stored, wanted) / w.pixelMapUnits);
  if (w.crsWkt.empty()) return;
  if (!storedCrs) lost(path, format, "the CRS", advice);
  // The coordinates were written in the reference CRS: the CRS the file declares must put them
  // where the reference CRS does (it may name it differently).
  OGRSpatialReference want, have(*storedCrs);
  want.importFromWkt(w.crsWkt.c_str());
  want.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  have.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  if (want.IsSame(&have)) return;
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&have, &want));
  std::vector<Point2> moved = stored;
  for (auto& p : moved)
    if (!ct || !ct->Transform(1, &p.x, &p.y)) lost(path, format, "the CRS", advice);
  if (worstDistance(moved, stored) > tolerance) lost(path, format, "the CRS", advice, worstDistance(moved, stored) / w.pixelMapUnits);
}

void checkRpcKept(const std::string& path, const std::string& format, const std::vector<std::string>& rpc) {
  const GDALDatasetUniquePtr ds = readBack(path, format);
  CPLStringList refined;
  for (const auto& kv : rpc) refined.AddString(kv.c_str());
  GDALRPCInfoV2 want, have;
  if (!GDALExtractRPCInfoV2(refined.List(), &want)) throw Error("internal: the refined RPCs are incomplete");
  if (!GDALExtractRPCInfoV2(ds->GetMetadata("RPC"), &have)) lost(path, format, "the refined RPCs", kAdvice);
  void* wanted = GDALCreateRPCTransformerV2(&want, FALSE, 0, nullptr);
  void* stored = GDALCreateRPCTransformerV2(&have, FALSE, 0, nullptr);
  // Ground points over the scene, at its mean height, into image pixels by both.
  double worst = wanted && stored ? 0 : HUGE_VAL;
  for (double u : {-0.8, 0.0, 0.8})
    for (double v : {-0.8, 0.0, 0.8}) {
      if (!std::isfinite(worst)) break;
      double x[2], y[2], z[2];
      int ok[2] = {0, 0};
      for (int k = 0; k < 2; ++k) {
        x[k] = want.dfLONG_OFF + u * want.dfLONG_SCALE, y[k] = want.dfLAT_OFF + v * want.dfLAT_SCALE, z[k] = want.dfHEIGHT_OFF;
        GDALRPCTransform(k == 0 ? wanted : stored, TRUE, 1, &x[k], &y[k], &z[k], &ok[k]);
      }
      worst = ok[0] && ok[1] ? std::max(worst, std::hypot(x[0] - x[1], y[0] - y[1])) : HUGE_VAL;
    }
  if (wanted) GDALDestroyRPCTransformer(wanted);
  if (stored) GDALDestroyRPCTransformer(stored);
  if (!(worst <= kKeptPixels)) lost(path, format, "the refined RPCs", kAdvice, std::isfinite(worst) ? worst : 0);
}

}  // namespace mmreg
