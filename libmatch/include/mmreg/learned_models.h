#pragma once
// The LibTorch models, kept behind this torch-free header so that callers build without LibTorch.
#include <string>

namespace mmreg {

// Adds the detection heads ("peakiness-learned", "peakiness-trained") to makeDetector, the
// learned matcher ("learned": keypoints + the cross-fusion head on the backbone) to
// makeTileMatcher, and the learned feature backbone ("learned") to the area matcher's features
// (MatchOptions::features). Does nothing in a build
// without LibTorch (-DMMREG_WITH_TORCH=OFF), where the factories then explain that. Safe to call
// more than once.
void registerLearnedModels();

// Where a shipped model file is looked for: $MMREG_MODEL_DIR, the installed models folder,
// then the source tree's models/. Returns the first existing path, or the last candidate.
std::string shippedModelPath(const std::string& file);

}  // namespace mmreg
