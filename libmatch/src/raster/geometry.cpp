#include "mmreg/geometry.h"

#include <cmath>

#include "mmreg/error.h"
#include "mmreg/image.h"

namespace mmreg {

Point2 applyGeoTransform(const GeoTransform& gt, Point2 p) {
  return {gt[0] + p.x * gt[1] + p.y * gt[2], gt[3] + p.x * gt[4] + p.y * gt[5]};
}

GeoTransform invertGeoTransform(const GeoTransform& gt) {
  const double det = gt[1] * gt[5] - gt[2] * gt[4];
  if (std::abs(det) < 1e-300) throw Error("the geotransform is singular and cannot be inverted; fix the raster's georeferencing");
  GeoTransform inv;
  inv[1] = gt[5] / det;
  inv[2] = -gt[2] / det;
  inv[4] = -gt[4] / det;
  inv[5] = gt[1] / det;
  inv[0] = -(inv[1] * gt[0] + inv[2] * gt[3]);
  inv[3] = -(inv[4] * gt[0] + inv[5] * gt[3]);
  return inv;
}

double Image::validFraction() const {
  if (empty()) return 0;
  if (valid.empty()) return 1;
  size_t n = 0;
  for (auto v : valid) n += v != 0;
  return static_cast<double>(n) / valid.size();
}

}  // namespace mmreg
