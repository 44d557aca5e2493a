#pragma once
// The current estimate of how the two full-resolution pixel grids relate: from the inputs'
// georeferencing (GDAL transformers, so geotransforms, GCPs, RPCs and PROJ reprojection all
// work) or from a fitted model.
#include <memory>
#include <string>
#include <vector>

#include "mmreg/coregister.h"
#include "mmreg/model.h"
#include "mmreg/raster.h"

namespace mmreg {

class PixelMapping {
 public:
  virtual ~PixelMapping() = default;
  // In place; points that cannot be mapped become NaN.
  virtual void refToSensed(std::vector<Point2>& pts) const = 0;
  virtual void sensedToRef(std::vector<Point2>& pts) const = 0;
};

// Through GDAL's transformer (opt: -s_srs, and -dem/-rpc_height for RPCs). Throws
// mmreg::Error when either raster lacks what the transformer needs.
std::unique_ptr<PixelMapping> georefMapping(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& opt);
// forward: sensed -> reference pixels; inverse: reference -> sensed pixels.
std::unique_ptr<PixelMapping> modelMapping(const Transform2D& forward, const Transform2D& inverse);

// Sensed pixels per reference pixel around reference point p (geometric mean of the two axes).
double sensedPixelsPerRefPixel(const PixelMapping& m, Point2 p);

}  // namespace mmreg
