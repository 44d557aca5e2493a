#include <map>
#include <mutex>

#include "features/area_matcher.h"
#include "features/corner_detector.h"
#include "features/feature_matcher.h"
#include "mmreg/error.h"

namespace mmreg {
namespace {

// Detectors registered at run time (the learned ones live in a library that links LibTorch).
struct Registry {
  std::mutex mutex;
  std::map<std::string, DetectorFactory> factories;
};
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::unique_ptr<TileMatcher> makeTileMatcher(const std::string& name) {
  if (name == "area") return std::make_unique<AreaMatcher>();
  if (name == "sift" || name == "orb" || name == "akaze") return std::make_unique<FeatureMatcher>(name);
  throw Error("unknown matcher '" + name + "'; use one of: area, sift, orb, akaze");
}

void registerDetector(const std::string& name, DetectorFactory factory) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().factories[name] = std::move(factory);
}

std::unique_ptr<Detector> makeDetector(const std::string& name, const LearnedModelOptions& options) {
  if (name == "corner") return std::make_unique<CornerDetector>();
  if (name == "sift" || name == "orb" || name == "akaze") return std::make_unique<FeatureDetector>(name);
  DetectorFactory factory;
  std::string known = "corner, sift, orb, akaze";
  {
    std::lock_guard<std::mutex> lock(registry().mutex);
    const auto it = registry().factories.find(name);
    if (it != registry().factories.end()) factory = it->second;
    for (const auto& [n, f] : registry().factories) known += ", " + n;
  }
  if (factory) return factory(options);
  if (name == "learned")
    throw Error("this build of mmreg has no learned models: rebuild with LibTorch (cmake -DMMREG_WITH_TORCH=ON, "
                "Debian package libtorch-dev), or use -detector corner");
  throw Error("unknown detector '" + name + "'; use one of: " + known);
}

}  // namespace mmreg
