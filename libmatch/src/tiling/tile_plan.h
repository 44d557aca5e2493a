#pragma once
// Tile planning in the processing grid (reference pixels divided by the processing scale).
#include <string>
#include <vector>

#include "mmreg/geometry.h"
#include "mmreg/image.h"

namespace mmreg {

struct PlannedTile {
  int index = 0;
  PixelWindow window;  // processing grid
  double texture = 0;
  double validFraction = 0;
  std::string skipped;  // empty when selected
};

struct TilePlanOptions {
  int tileSize = 512;
  int maxTiles = 36;
  double minValid = 0.25;  // tiles with less valid reference data are skipped
};

// Cuts `overlap` into tiles of about tileSize (the last row and column are shifted inwards, so
// all tiles are full size), scores each on `overview` (the preprocessed reference covering
// `overlap`, at any lower resolution), skips those without data or texture, and keeps at most
// maxTiles, chosen by farthest-point sampling so that they spread over the overlap.
std::vector<PlannedTile> planTiles(const PixelWindow& overlap, const Image& overview, const TilePlanOptions& options);

}  // namespace mmreg
