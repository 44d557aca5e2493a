#include <ogr_spatialref.h>

#include <cmath>
#include <limits>
#include <memory>

#include "mmreg/raster.h"

namespace mmreg {
namespace {

struct LonLat {
  double lon = NAN, lat = NAN;  // degrees
};

// Metres between two nearby points on the ellipsoid (semi-major axis a, flattening f), through
// its radii of curvature at their mean latitude: exact enough over a pixel.
double nearbyDistance(LonLat p, LonLat q, double a, double f) {
  constexpr double kRad = M_PI / 180;
  const double e2 = f * (2 - f), phi = 0.5 * (p.lat + q.lat) * kRad, w = 1 - e2 * std::sin(phi) * std::sin(phi);
  const double meridian = a * (1 - e2) / (w * std::sqrt(w)), primeVertical = a / std::sqrt(w);
  double dLon = q.lon - p.lon;
  if (dLon > 180) dLon -= 360;
  if (dLon < -180) dLon += 360;
  return std::hypot(meridian * (q.lat - p.lat) * kRad, primeVertical * std::cos(phi) * dLon * kRad);
}

}  // namespace

double groundPixelSizeMetres(const GeoRaster& raster) {
  constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
  const std::string wkt = raster.crsWkt();
  if (!raster.hasGeoTransform() || wkt.empty()) return kUnknown;
  OGRSpatialReference crs;
  if (crs.importFromWkt(wkt.c_str()) != OGRERR_NONE) return kUnknown;
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRSpatialReference> geographic(crs.CloneGeogCS());
  if (!geographic) return kUnknown;
  geographic->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);  // longitude, latitude
  std::unique_ptr<OGRCoordinateTransformation> toLonLat(OGRCreateCoordinateTransformation(&crs, geographic.get()));
  if (!toLonLat) return kUnknown;

  const auto gt = raster.geoTransform();
  const double cx = raster.width() / 2.0, cy = raster.height() / 2.0;
  double x[3], y[3];
  const double px[3] = {cx, cx + 1, cx}, py[3] = {cy, cy, cy + 1};
  for (int i = 0; i < 3; ++i) x[i] = gt[0] + px[i] * gt[1] + py[i] * gt[2], y[i] = gt[3] + px[i] * gt[4] + py[i] * gt[5];
  int ok[3] = {0, 0, 0};
  if (!toLonLat->Transform(3, x, y, nullptr, ok) || !ok[0] || !ok[1] || !ok[2]) return kUnknown;

  OGRErr err = OGRERR_NONE;
  const double a = geographic->GetSemiMajor(&err);
  const double inverseFlattening = geographic->GetInvFlattening(&err);
  if (err != OGRERR_NONE || !(a > 0)) return kUnknown;
  const double f = inverseFlattening > 0 ? 1 / inverseFlattening : 0;  // 0: a sphere
  const LonLat c{x[0], y[0]}, right{x[1], y[1]}, down{x[2], y[2]};
  const double size = std::sqrt(nearbyDistance(c, right, a, f) * nearbyDistance(c, down, a, f));
  return std::isfinite(size) && size > 0 ? size : kUnknown;
}

}  // namespace mmreg
