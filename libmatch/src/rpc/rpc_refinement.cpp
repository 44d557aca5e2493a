#include "rpc/rpc_refinement.h"

#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <memory>

#include "mmreg/error.h"
#include "rpc/dem_heights.h"
#include "rpc/rpc_model.h"

namespace mmreg {
namespace {

// Reference pixel <-> WGS84 longitude/latitude.
class ReferenceToLonLat {
 public:
  explicit ReferenceToLonLat(const GeoRaster& ref) : gt_(ref.geoTransform()), inv_(invertGeoTransform(gt_)) {
    OGRSpatialReference crs, wgs84;
    if (ref.crsWkt().empty() || crs.importFromWkt(ref.crsWkt().c_str()) != OGRERR_NONE)
      throw Error("the reference '" + ref.path() + "' has no CRS; -rpc_refine places tie points on the ground through it");
    crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    wgs84.SetWellKnownGeogCS("WGS84");
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    toLonLat_.reset(OGRCreateCoordinateTransformation(&crs, &wgs84));
    fromLonLat_.reset(OGRCreateCoordinateTransformation(&wgs84, &crs));
    if (!toLonLat_ || !fromLonLat_) throw Error("cannot transform the reference's CRS to longitude/latitude; check it with gdalinfo");
  }
  bool operator()(Point2 refPixel, double* lon, double* lat) const {
    const Point2 m = applyGeoTransform(gt_, refPixel);
    *lon = m.x, *lat = m.y;
    return toLonLat_->Transform(1, lon, lat) != 0;
  }
  bool referencePixel(double lon, double lat, Point2* pixel) const {
    if (!fromLonLat_->Transform(1, &lon, &lat)) return false;
    *pixel = applyGeoTransform(inv_, {lon, lat});
    return true;
  }

 private:
  GeoTransform gt_, inv_;
  std::unique_ptr<OGRCoordinateTransformation> toLonLat_, fromLonLat_;
};

RpcModel sensedRpc(const GeoRaster& sen) {
  return RpcModel::fromMetadata(sen.handle()->GetMetadata("RPC"), "the sensed raster '" + sen.path() + "'");
}

// Where each tie point's height comes from.
struct Heights {
  std::unique_ptr<DemHeights> dem;
  double constant = 0;
  std::string describe() const {
    return dem ? "DEM " + dem->path() : "constant height " + std::string(CPLSPrintf("%.1f", constant)) + " (flat ground; no -dem)";
  }
  double at(double lon, double lat) const { return dem ? dem->at(lon, lat) : constant; }
};

Heights heightsFor(const MatchOptions& m, const RpcModel& rpc) {
  Heights h;
  if (!m.dem.empty()) h.dem = std::make_unique<DemHeights>(m.dem);
  h.constant = m.rpcHeight ? *m.rpcHeight : rpc.info().dfHEIGHT_OFF;
  return h;
}

// A ground grid over the RPC's validity box and height range, for refitting the numerators.
std::vector<GroundPoint> groundGrid(const GDALRPCInfoV2& r) {
  const bool box = r.dfMAX_LONG > r.dfMIN_LONG && r.dfMAX_LAT > r.dfMIN_LAT;
  const double lon0 = box ? r.dfMIN_LONG : r.dfLONG_OFF - r.dfLONG_SCALE, lon1 = box ? r.dfMAX_LONG : r.dfLONG_OFF + r.dfLONG_SCALE;
  const double lat0 = box ? r.dfMIN_LAT : r.dfLAT_OFF - r.dfLAT_SCALE, lat1 = box ? r.dfMAX_LAT : r.dfLAT_OFF + r.dfLAT_SCALE;
  std::vector<GroundPoint> g;
  constexpr int n = 15, nh = 5;
  for (int k = 0; k < nh; ++k)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i)
        g.push_back({lon0 + (lon1 - lon0) * i / (n - 1), lat0 + (lat1 - lat0) * j / (n - 1),
                     r.dfHEIGHT_OFF + r.dfHEIGHT_SCALE * (2.0 * k / (nh - 1) - 1)});
  return g;
}

}  // namespace

void checkRpcInputs(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& m) {
  const RpcModel rpc = sensedRpc(sen);
  const ReferenceToLonLat toLonLat(ref);
  if (m.dem.empty()) return;
  const Heights heights = heightsFor(m, rpc);
  // The sensed footprint (through GDAL's RPC transformer at the height offset) where it lies on
  // the reference: every point of a 9 x 9 grid there must have a DEM height.
  void* t = GDALCreateRPCTransformerV2(&rpc.info(), FALSE, 0.1, nullptr);
  if (!t) throw Error("GDAL cannot use the RPCs of the sensed raster '" + sen.path() + "': " + CPLGetLastErrorMsg());
  int onReference = 0, missing = 0;
  for (int j = 0; j < 9; ++j)
    for (int i = 0; i < 9; ++i) {
      double x = sen.width() * (i + 0.5) / 9, y = sen.height() * (j + 0.5) / 9, z = 0;
      int ok = 0;
      GDALRPCTransform(t, FALSE, 1, &x, &y, &z, &ok);
      if (!ok) continue;
      Point2 p;
      if (!toLonLat.referencePixel(x, y, &p)) continue;
      if (p.x < 0 || p.y < 0 || p.x > ref.width() || p.y > ref.height()) continue;
      ++onReference;
      if (!std::isfinite(heights.at(x, y))) ++missing;
    }
  GDALDestroyRPCTransformer(t);
  if (missing > 0)
    throw Error("the DEM '" + m.dem + "' does not cover the overlap: " + std::to_string(missing) + " of " + std::to_string(onReference) +
                " points of the sensed footprint on the reference have no height there; give a DEM that covers the sensed image");
}

RpcRefinement refineRpc(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& m, const FitOptions& fitOpt,
                        const std::vector<TiePoint>& points, double sensedPixelSize) {
  const RpcModel rpc = sensedRpc(sen);
  const ReferenceToLonLat toLonLat(ref);
  const Heights heights = heightsFor(m, rpc);
  RpcRefinement out;
  out.heights = heights.describe();
  out.flatGround = !heights.dem;
  out.sensedPixelSize = sensedPixelSize;
  // Each pair: the RPCs' image position of the tie point's ground point -> the matched one.
  std::vector<TiePoint> pairs;
  size_t outside = 0;
  for (const auto& t : points) {
    double lon = 0, lat = 0;
    const double h = toLonLat(t.ref, &lon, &lat) ? heights.at(lon, lat) : NAN;
    if (!std::isfinite(h)) {
      ++outside;
      continue;
    }
    pairs.push_back({t.sensed, rpc.project({lon, lat, h}), t.score, t.tile});
  }
  if (outside * 10 > points.size())
    throw Error("the DEM '" + m.dem + "' does not cover the overlap: " + std::to_string(outside) + " of " + std::to_string(points.size()) +
                " tie points fall outside it or on no-data; give a DEM that covers the sensed image");
  FitOptions f = fitOpt;
  f.model = static_cast<int>(pairs.size()) >= 2 * minimumInliers(ModelType::Affine) ? ModelType::Affine : ModelType::Translation;
  f.extent = {};
  out.fit = fitGlobalModel(pairs, f);
  const auto a = out.fit.forward->affineMatrix();
  out.correction = {a[2], a[0], a[1], a[5], a[3], a[4]};
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < pairs.size(); ++i)
    if (out.fit.check[i]) sum += std::pow(pairs[i].sensed.x - pairs[i].ref.x, 2) + std::pow(pairs[i].sensed.y - pairs[i].ref.y, 2), ++n;
  out.rmseCheckBeforePx = n ? std::sqrt(sum / n) : NAN;
  // Written as RPCs: the numerators refitted to the corrected model over the RPC's ground box.
  const auto ground = groundGrid(rpc.info());
  std::vector<Point2> target;
  for (const auto& g : ground) target.push_back(out.fit.forward->apply(rpc.project(g)));
  out.metadata = rpc.refitted(ground, target, &out.refitErrorPx).metadata();
  return out;
}

}  // namespace mmreg
