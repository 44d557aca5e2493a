// registerLearnedModels() of a build without LibTorch: nothing to add; makeDetector("learned")
// then says how to get it.
#include "mmreg/learned_models.h"

namespace mmreg {

void registerLearnedModels() {}

}  // namespace mmreg
