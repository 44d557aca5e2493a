#pragma once
#include <array>
#include <vector>

namespace mmreg {

struct Point2 {
  double x = 0;
  double y = 0;
};

// A GDAL-style affine geotransform: X = gt[0] + col*gt[1] + row*gt[2], Y = gt[3] + col*gt[4] + row*gt[5].
using GeoTransform = std::array<double, 6>;

Point2 applyGeoTransform(const GeoTransform& gt, Point2 pixel);
// Throws mmreg::Error if the geotransform is singular.
GeoTransform invertGeoTransform(const GeoTransform& gt);

// One correspondence between the two full-resolution pixel grids.
struct TiePoint {
  Point2 ref;     // reference pixel (col, row), pixel-corner convention as in GDAL
  Point2 sensed;  // sensed pixel (col, row)
  double score = 0;  // matcher confidence, higher is better
  int tile = -1;     // tile that produced it
};

// Integer pixel window; may extend past the raster, outside pixels are invalid.
struct PixelWindow {
  int x = 0, y = 0, width = 0, height = 0;
};

}  // namespace mmreg
