#include <map>
#include <mutex>

#include "features/area_matcher.h"
#include "features/corner_detector.h"
#include "features/dense_features.h"
#include "features/feature_matcher.h"
#include "features/peakiness_detector.h"
#include "mmreg/error.h"

namespace mmreg {
namespace {

// Models registered at run time (the learned ones live in a library that links LibTorch).
struct Registry {
  std::mutex mutex;
  std::map<std::string, DetectorFactory> detectors;
  std::map<std::string, TileMatcherFactory> matchers;
  std::map<std::string, DenseFeaturesFactory> features;
};
Registry& registry() {
  static Registry r;
  return r;
}

// The factory registered under `name` (null if none) and the list of every known name.
template <class Factory>
std::pair<Factory, std::string> lookUp(const std::map<std::string, Factory>& factories, const std::string& name,
                                       std::string known) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  const auto it = factories.find(name);
  for (const auto& [n, f] : factories) known += ", " + n;
  return {it != factories.end() ? it->second : Factory{}, known};
}

const char* const kNoTorch =
    "this build of mmreg has no learned models: rebuild with LibTorch (cmake -DMMREG_WITH_TORCH=ON, Debian package "
    "libtorch-dev), or ";

bool takesKeypoints(const std::string& matcher) { return matcher != "akaze"; }

std::string ownKeypoints(const std::string& matcher, const std::string& detector) {
  return "the " + matcher + " matcher finds its own keypoints; only area, sift, orb and learned take a detector (-detector " + detector + ")";
}

}  // namespace

std::unique_ptr<TileMatcher> makeTileMatcher(const std::string& name, const LearnedModelOptions& options,
                                             std::shared_ptr<const Detector> keypoints) {
  if (name == "area") {
    AreaMatcherOptions o;
    o.centres = std::move(keypoints);
    return std::make_unique<AreaMatcher>(o);
  }
  if (keypoints && !takesKeypoints(name)) throw Error(ownKeypoints(name, keypoints->name()));
  if (name == "sift" || name == "orb" || name == "akaze") return std::make_unique<FeatureMatcher>(name, 0.85, keypoints);
  const auto [factory, known] = lookUp(registry().matchers, name, "area, sift, orb, akaze");
  if (factory) return factory(options, std::move(keypoints));
  if (name == "learned") throw Error(std::string(kNoTorch) + "use -matcher area");
  throw Error("unknown matcher '" + name + "'; use one of: " + known);
}

void checkDetectorFits(const std::string& matcher, const std::string& detector) {
  if (detector != "corner" && !takesKeypoints(matcher)) throw Error(ownKeypoints(matcher, detector));
}

void registerTileMatcher(const std::string& name, TileMatcherFactory factory) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().matchers[name] = std::move(factory);
}

void registerDenseFeatures(const std::string& name, DenseFeaturesFactory factory) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().features[name] = std::move(factory);
}

std::shared_ptr<const DenseFeatures> makeDenseFeatures(const std::string& name, const LearnedModelOptions& options) {
  if (name == "structural") return std::make_shared<StructuralDenseFeatures>();
  const auto [factory, known] = lookUp(registry().features, name, "structural");
  if (factory) return factory(options);
  if (name == "learned") throw Error(std::string(kNoTorch) + "use -features structural");
  throw Error("unknown features '" + name + "'; use one of: " + known);
}

void registerDetector(const std::string& name, DetectorFactory factory) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().detectors[name] = std::move(factory);
}

std::unique_ptr<Detector> makeDetector(const std::string& name, const LearnedModelOptions& options) {
  if (name == "corner") return std::make_unique<CornerDetector>();
  if (name == "peakiness") return std::make_unique<PeakinessDetector>();
  if (name == "sift" || name == "orb" || name == "akaze") return std::make_unique<FeatureDetector>(name);
  const auto [factory, known] = lookUp(registry().detectors, name, "corner, peakiness, sift, orb, akaze");
  if (factory) return factory(options);
  if (name == "peakiness-learned" || name == "peakiness-trained")
    throw Error(std::string(kNoTorch) + "use -detector corner or peakiness");
  throw Error("unknown detector '" + name + "'; use one of: " + known);
}

}  // namespace mmreg
