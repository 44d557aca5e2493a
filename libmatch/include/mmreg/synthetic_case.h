#pragma once
// Writes an aligned pair as two GeoTIFFs with a known misregistration, and knows the truth.
#include <string>

#include "mmreg/datasets.h"
#include "mmreg/geometry.h"
#include "mmreg/homography.h"

namespace mmreg {

// A projective warp about the image centre c, in pixels: the similarity-plus-shear part
// A(p) = c + scale * R(rotation) * S(shear) * (p - c) + (dx, dy), divided by the perspective
// term w = 1 + px * (p.x - c.x) + py * (p.y - c.y). The perspective part applies only to
// MisregistrationMode::Pixels: a geotransform cannot express it.
struct Misregistration {
  double dx = 0, dy = 0;
  double rotationDeg = 0;
  double scale = 1;
  double shear = 0;
  double px = 0, py = 0;  // perspective, per pixel (1e-4 bends a 1000 px image by about 10%)
  // The warped sensed image turned over left to right, as SAR in radar geometry is against a
  // north-up map. MisregistrationMode::Pixels only; apply() does not include it.
  bool mirrored = false;
  Point2 apply(Point2 p, Point2 centre) const;
};

struct SyntheticCase {
  std::string reference, sensed;  // GeoTIFF paths
  GeoTransform referenceGeoTransform{};
  Homography truth{1, 0, 0, 0, 1, 0, 0, 0, 1};  // sensed pixel -> reference pixel, the answer
  int sensedWidth = 0, sensedHeight = 0;
  Point2 truthOf(Point2 sensedPixel) const;
  Point2 truthInverseOf(Point2 referencePixel) const;
};

enum class MisregistrationMode {
  Georeferencing,  // pixels untouched, the sensed geotransform is wrong by the misregistration
  Pixels           // the sensed image is resampled by the misregistration and has no georeferencing;
                   // pixels the warp brings in from outside are no data (a per-dataset mask band)
};

// Writes <dir>/<stem>_ref.tif and <dir>/<stem>_sensed.tif. Pairs without real georeferencing get
// a synthetic north-up UTM grid of 10 m pixels. Throws mmreg::Error on failure.
SyntheticCase buildCase(const AlignedPair& pair, const Misregistration& m, MisregistrationMode mode,
                        const std::string& dir, const std::string& stem);

}  // namespace mmreg
