#pragma once
// A rational polynomial camera (RPC00B, as GDAL reads it from a raster's "RPC" metadata): ground
// (longitude, latitude, height above the ellipsoid) to image (pixel, line) in GDAL's convention,
// and the least-squares fit that writes a corrected model back.
#include <gdal.h>

#include <string>
#include <vector>

#include "mmreg/geometry.h"

namespace mmreg {

struct GroundPoint {
  double lon, lat, height;
};

class RpcModel {
 public:
  // Throws mmreg::Error when `metadata` (the "RPC" domain) holds no complete RPC model.
  static RpcModel fromMetadata(CSLConstList metadata, const std::string& what);
  const GDALRPCInfoV2& info() const { return info_; }
  explicit RpcModel(const GDALRPCInfoV2& info) : info_(info) {}
  // Image position of a ground point: GDAL pixel/line (0,0 the top-left corner of the first
  // pixel), the convention of GDAL's RPC transformer and of mmreg's tie points.
  Point2 project(const GroundPoint& g) const;
  // The "RPC" metadata domain as GDAL writes it.
  std::vector<std::string> metadata() const;
  // A model with these denominators and normalisation whose numerators are fitted, by least
  // squares, to image positions `target` of `ground`; `maxError` receives the worst residual in
  // pixels. Exact when the target is this model's image under an affine map and the two
  // denominators are equal (as in most products); otherwise the residual says how close it is.
  RpcModel refitted(const std::vector<GroundPoint>& ground, const std::vector<Point2>& target, double* maxError) const;

 private:
  GDALRPCInfoV2 info_{};
};

}  // namespace mmreg
