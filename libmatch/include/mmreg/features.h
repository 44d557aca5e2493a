#pragma once
// Detector and tile-matcher interfaces, with the classical baselines behind them.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mmreg/geometry.h"
#include "mmreg/image.h"

namespace mmreg {

struct Keypoint {
  Point2 pos;
  double score = 0;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string name() const = 0;
  // Up to maxPoints keypoints of a preprocessed image (values in [0,1]), strongest first.
  virtual std::vector<Keypoint> detect(const Image& image, int maxPoints) const = 0;
};

// Both positions are in the reference tile's pixel frame.
struct TileMatch {
  Point2 ref;
  Point2 sensed;
  double score = 0;
};

// Matches a reference tile against the sensed image resampled into the same frame and padded
// by `margin` pixels on every side (sensed pixel (u,v) lies at reference (u-margin, v-margin)).
class TileMatcher {
 public:
  virtual ~TileMatcher() = default;
  virtual std::string name() const = 0;
  virtual std::vector<TileMatch> match(const Image& ref, const Image& sensedPadded, int margin) const = 0;
};

// How a learned model is loaded and run.
struct LearnedModelOptions {
  std::string matcherWeights;  // the cross-fusion head's; empty: the shipped model (see mmreg/learned_models.h)
  std::string featureWeights;  // the learned dense feature backbone's; empty: the shipped model
  std::string device = "cpu";  // cpu | cuda
};

// "sift", "orb", "akaze" (OpenCV, ratio + mutual-nearest tests), "area" (structural features
// correlated by FFT), and whatever was registered (registerLearnedModels() adds "learned": the
// detector's keypoints matched by the cross-fusion head on the learned backbone's descriptors).
// `keypoints`, when given, places the area matcher's templates, the keypoints that sift and orb
// describe, or the learned matcher's keypoints (null: corners); akaze takes none. Throws
// mmreg::Error listing the known names otherwise.
std::unique_ptr<TileMatcher> makeTileMatcher(const std::string& name, const LearnedModelOptions& options = {},
                                             std::shared_ptr<const Detector> keypoints = nullptr);
// Throws mmreg::Error when `matcher` cannot use `detector`'s keypoints (akaze finds its own);
// "corner", the default, always fits. Loads nothing.
void checkDetectorFits(const std::string& matcher, const std::string& detector);

using TileMatcherFactory =
    std::function<std::unique_ptr<TileMatcher>(const LearnedModelOptions&, std::shared_ptr<const Detector> keypoints)>;
void registerTileMatcher(const std::string& name, TileMatcherFactory factory);

// "corner" (strongest minimum-eigenvalue corners, 4 px apart), "peakiness" (where the
// structural features peak, the paper's detection scores without a learned part), "sift", "orb", "akaze", and
// whatever was registered (registerLearnedModels() adds "peakiness-learned" and
// "peakiness-trained"). Throws mmreg::Error
// listing the known names otherwise.
std::unique_ptr<Detector> makeDetector(const std::string& name, const LearnedModelOptions& options = {});
using DetectorFactory = std::function<std::unique_ptr<Detector>(const LearnedModelOptions&)>;
void registerDetector(const std::string& name, DetectorFactory factory);

}  // namespace mmreg
