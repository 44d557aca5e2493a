#include "output/georef_readback.h"

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <memory>

#include "mmreg/error.h"

namespace mmreg {
namespace {

constexpr const char* kAdvice = "write GTiff, COG or VRT instead";
constexpr const char* kGcpAdvice = "write GTiff or VRT instead (they keep GCPs), or fit -model affine, which a geotransform holds";

[[noreturn]] void lost(const std::string& path, const std::string& format, const std::string& what, const char* advice) {
  throw Error("the " + format + " format did not keep " + what + " in '" + path +
              "', so that output would not carry the registration; " + advice);
}

bool isIdentity(const GeoTransform& g) { return g[0] == 0 && g[1] == 1 && g[2] == 0 && g[3] == 0 && g[4] == 0 && std::abs(g[5]) == 1; }

double worstDistance(const std::vector<Point2>& a, const std::vector<Point2>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::hypot(a[i].x - b[i].x, a[i].y - b[i].y));
  return worst;
}

}  // namespace

void checkGeorefKept(const std::string& path, const std::string& format, const WrittenGeoref& w) {
  CPLErrorReset();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) {
    const std::string why = CPLGetLastErrorMsg();
    throw Error("the " + format + " file written at '" + path + "' cannot be read back by GDAL" + (why.empty() ? "" : " (" + why + ")") +
                "; " + kAdvice);
  }
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
  if (!wanted.empty() && worstDistance(stored, wanted) > w.toleranceMapUnits) lost(path, format, what, advice);
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
  if (worstDistance(moved, stored) > w.toleranceMapUnits) lost(path, format, "the CRS", advice);
}

}  // namespace mmreg
