#pragma once
// What every matching pass of one job shares: the rasters, the resolved bands and modalities,
// and the matchers; and the geometry helpers that depend only on the current estimate.
#include <memory>
#include <string>
#include <vector>

#include "features/dense_features.h"
#include "mmreg/coregister.h"
#include "mmreg/raster.h"
#include "pipeline/pixel_mapping.h"
#include "pipeline/tile_reader.h"

namespace mmreg {

struct MatchContext {
  const GeoRaster& ref;
  const GeoRaster& sen;
  const MatchOptions& opt;
  BandChoice refBands, senBands;
  std::shared_ptr<const Detector> centres;             // the area matcher's template centres (null: corners), or sift/orb's keypoints
  std::shared_ptr<const TileMatcher> keypointMatcher;  // every pass's matcher, unless it is the area matcher
  std::shared_ptr<const DenseFeatures> features;       // what the area matcher and refinement correlate
  // Bounding boxes of each raster's valid data (not nodata, not masked), full-resolution pixels
  // of that raster: matching where either has none wastes the first pass's few templates.
  PixelWindow refData, senData;
  // The rasters decoded once at the processing scale (decodeAtScale): a cache, so mutable.
  mutable DecodedRasters decoded;
  // What the inputs suggest the analyst check whatever the outcome (undeclared fill).
  std::vector<std::string> inputAdvice;
};

// Resolves bands, modalities (guessing SAR from speckle when asked) and matchers; throws
// mmreg::Error when either raster's bands hold no valid pixel or no contrast.
MatchContext makeMatchContext(const GeoRaster& reference, const GeoRaster& sensed, const MatchOptions& options);

// Bounding box of the sensed raster's valid data under `m`, in reference pixels, wherever it
// falls (not clipped to the reference).
PixelWindow sensedFootprint(const MatchContext& c, const PixelMapping& m);

// Overlap of the sensed raster's valid data with the reference's under `m`, in reference
// pixels (bounding boxes). Throws mmreg::Error when they do not overlap.
PixelWindow overlapWindow(const MatchContext& c, const PixelMapping& m);

// Reference pixels per processing pixel: the sensed ground resolution, rounded down to a whole
// number so that every tile window is a whole number of reference pixels.
double processingScale(const PixelMapping& m, const PixelWindow& overlap);

// Decodes both rasters whole at the decimation that `scale` (reference pixels per processing
// pixel) and `m` give at the overlap's centre, into c.decoded, when they fit in memory.
void decodeAtScale(const MatchContext& c, const PixelMapping& m, const PixelWindow& overlap, double scale);

// Longest side `longest` (at most the window's own): the width, and the height in *h.
int overviewSide(const PixelWindow& w, int longest, int* h);

// Overviews of both rasters whole, at the same nominal ground resolution, the reference's
// longest side `longest` pixels: what the content searches (coarse pass, keypoint hypotheses)
// work on. nominal: sensed pixels per reference pixel that the pixel sizes give (0 when the
// files carry none).
// The sensed overview holds at most this many times longest² pixels (readOverviews).
constexpr double kMaxSensedOverviewShare = 16;
struct Overviews {
  Image ref, sen;
  double refScale = 1, senScale = 1;  // full-resolution pixels per overview pixel
};
Overviews readOverviews(const MatchContext& c, double nominal, int longest);

// How far the fine passes search from a content search's hypothesis, reference pixels: about
// one overview pixel (refScale reference pixels) at the template's centre, and away from it
// what the refined rotation (0.5 deg) and scale (4 %) steps leave, at most across the sensed
// footprint (its diagonal in reference pixels).
double contentStartReach(double refScale, double footprintPx);

// How far a georeferenced start may be off, reference pixels: -max_offset, metres on the ground
// (CRS units where the reference has no CRS), or 256 reference pixels by default.
double georefReachPx(const GeoRaster& reference, const MatchOptions& options);

// Throws mmreg::Error with advice when the reference cannot serve as one.
void checkReference(const GeoRaster& reference);

}  // namespace mmreg
