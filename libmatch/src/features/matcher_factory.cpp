#include "features/area_matcher.h"
#include "features/feature_matcher.h"
#include "mmreg/error.h"

namespace mmreg {

std::unique_ptr<TileMatcher> makeTileMatcher(const std::string& name) {
  if (name == "area") return std::make_unique<AreaMatcher>();
  if (name == "sift" || name == "orb" || name == "akaze") return std::make_unique<FeatureMatcher>(name);
  throw Error("unknown matcher '" + name + "'; use one of: area, sift, orb, akaze");
}

std::unique_ptr<Detector> makeDetector(const std::string& name) {
  if (name == "sift" || name == "orb" || name == "akaze") return std::make_unique<FeatureDetector>(name);
  throw Error("unknown detector '" + name + "'; use one of: sift, orb, akaze");
}

}  // namespace mmreg
