#pragma once
// Writes an aligned pair as two GeoTIFFs with a known misregistration, and knows the truth.
#include <string>

#include "mmreg/datasets.h"
#include "mmreg/geometry.h"

namespace mmreg {

// A similarity (plus optional shear) about the sensed image centre, in pixels:
// p -> c + scale * R(rotation) * S(shear) * (p - c) + (dx, dy).
struct Misregistration {
  double dx = 0, dy = 0;
  double rotationDeg = 0;
  double scale = 1;
  double shear = 0;
  Point2 apply(Point2 p, Point2 centre) const;
};

struct SyntheticCase {
  std::string reference, sensed;  // GeoTIFF paths
  GeoTransform referenceGeoTransform{};
  std::array<double, 6> truth{};  // sensed pixel -> reference pixel, the answer
  int sensedWidth = 0, sensedHeight = 0;
  Point2 truthOf(Point2 sensedPixel) const;
};

enum class MisregistrationMode {
  Georeferencing,  // pixels untouched, the sensed geotransform is wrong by the misregistration
  Pixels           // the sensed image is resampled by the misregistration and has no georeferencing
};

// Writes <dir>/<stem>_ref.tif and <dir>/<stem>_sensed.tif. Pairs without real georeferencing get
// a synthetic north-up UTM grid of 10 m pixels. Throws mmreg::Error on failure.
SyntheticCase buildCase(const AlignedPair& pair, const Misregistration& m, MisregistrationMode mode,
                        const std::string& dir, const std::string& stem);

}  // namespace mmreg
