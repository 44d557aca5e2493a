#pragma once
// Area-based matching: template blocks of the reference tile searched in the padded sensed tile
// by FFT correlation of dense features (structural, or learned), with a sub-pixel peak and a
// distinctiveness test.
#include <memory>

#include "features/dense_features.h"
#include "mmreg/features.h"

namespace mmreg {

struct AreaMatcherOptions {
  int templateSize = 0;    // pixels, square; 0: a quarter of the tile, between 48 and 96
  int gridStep = 0;        // one template centre per cell of this size; 0: half the template
  double maxPeakRatio = 0.98;  // second-best / best similarity outside the peak, above which a match is dropped
  // Share of valid pixels required in a template; one with invalid pixels (a cloud mask, a
  // scene edge) is correlated over its valid ones only.
  double minValid = 0.5;
  // Keypoints that place the templates (the strongest in each grid cell; none in a cell: no
  // template there). Null: the strongest minimum-eigenvalue corner of each cell.
  std::shared_ptr<const Detector> centres;
  // What is correlated. Null: the structural features.
  std::shared_ptr<const DenseFeatures> features;
  SideModalities modalities;  // given to the features (a SAR stem runs on the SAR side)
  // Templates correlated at once (0: one per core). Tiles already run side by side; this keeps
  // the cores busy when a pass's last tile runs alone.
  int threads = 1;
};

// The given features for an image of `modality`, or the structural ones when null.
std::vector<cv::Mat> computeFeatures(const DenseFeatures* features, const Image& image, Modality modality);

// The template side used when AreaMatcherOptions::templateSize is 0, for a tile of this side.
int defaultTemplateSize(int tileSide);

class AreaMatcher : public TileMatcher {
 public:
  explicit AreaMatcher(AreaMatcherOptions options = {}) : opt_(options) {}
  std::string name() const override { return "area"; }
  std::vector<TileMatch> match(const Image& ref, const Image& sensedPadded, int margin) const override;

 private:
  AreaMatcherOptions opt_;
};

}  // namespace mmreg
