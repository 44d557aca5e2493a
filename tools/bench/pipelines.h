#pragma once
// The pipelines a benchmark run compares, behind one interface: mmreg with a chosen matcher,
// and OTB's HomologousPointsExtraction as an external peer.
#include <memory>
#include <string>
#include <vector>

#include "mmreg/coregister.h"
#include "mmreg/synthetic_case.h"

namespace bench {

struct PipelineRun {
  bool ok = false;        // a result was accepted (mmreg: verified, or doubtful and kept)
  std::string verdict;    // mmreg's verdict on its model (verified, doubtful, failed); empty for peers
  mmreg::Verdict verdictDetail;
  std::string error;
  std::vector<mmreg::TiePoint> tiePoints;  // all candidates of the final stage
  mmreg::FitResult fit;                    // model, inliers, check points; when refused (!ok), the refused model
  double seconds = 0;
  double peakRssMb = 0;
};

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  virtual std::string name() const = 0;
  virtual std::string unavailableReason() const { return {}; }  // empty when it can run
  virtual std::string detector() const { return {}; }  // its keypoint detector (mmreg::makeDetector); empty: none
  virtual PipelineRun run(const mmreg::SyntheticCase& c, const std::string& workDir) const = 0;
};

struct PipelineSettings {
  mmreg::Modality sensedModality = mmreg::Modality::Auto;
  mmreg::CoarseMode coarse = mmreg::CoarseMode::Auto;
  std::string featureWeights;  // of the pipelines with "@learned" features; empty: the shipped backbone
};

// "area", "sift", "orb", "akaze", "learned" (mmreg with that matcher), "MATCHER+DETECTOR" (the
// area matcher's templates, sift/orb's described keypoints, or the learned matcher's keypoints,
// placed by DETECTOR, e.g. area+peakiness, learned+peakiness-trained), "...@learned" (the area matcher and refinement on the learned
// backbone's features, e.g. area@learned), "learned-verified", "learned-gridN" (variants of
// the learned matcher, learned_variants.h; builds with LibTorch), either with "-norefine" (no
// area-based refinement of keypoint matches), or "otb" (the peer).
std::unique_ptr<Pipeline> makePipeline(const std::string& name, const PipelineSettings& settings);

}  // namespace bench
