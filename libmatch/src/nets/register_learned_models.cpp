// registerLearnedModels() of a build with LibTorch.
#include "mmreg/learned_models.h"
#include "nets/learned_detector.h"

namespace mmreg {

void registerLearnedModels() {
  registerDetector("learned", [](const LearnedModelOptions& o) { return std::make_unique<nets::LearnedDetector>(o); });
}

}  // namespace mmreg
