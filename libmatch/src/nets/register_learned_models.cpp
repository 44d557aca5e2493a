// registerLearnedModels() of a build with LibTorch.
#include "features/peakiness_detector.h"
#include "mmreg/learned_models.h"
#include "nets/detector_head.h"
#include "nets/learned_features.h"
#include "nets/learned_matcher.h"

namespace mmreg {

void registerLearnedModels() {
  registerTileMatcher("learned", [](const LearnedModelOptions& o, std::shared_ptr<const Detector> keypoints) {
    return std::make_unique<nets::LearnedMatcher>(o, std::move(keypoints));
  });
  registerDenseFeatures("learned", [](const LearnedModelOptions& o) { return std::make_shared<nets::LearnedFeatures>(o); });
  // The paper's peakiness scores on the learned backbone's descriptors.
  registerDetector("peakiness-learned", [](const LearnedModelOptions& o) {
    return std::make_unique<PeakinessDetector>(std::make_shared<nets::LearnedFeatures>(o), "peakiness-learned");
  });
  registerDetector("peakiness-trained", [](const LearnedModelOptions& o) { return std::make_unique<nets::TrainedPeakinessDetector>(o); });
}

}  // namespace mmreg
