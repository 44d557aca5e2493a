#pragma once
// The datasets' own alignment, checked against the images' content. mmreg (area matcher,
// default options) registers each pair as the dataset gives it; when that model is verified
// and disagrees with the dataset's alignment by more than a tolerance somewhere on the sensed
// image, the dataset's truth is disputed. The benchmark then does not count an accepted result
// that agrees with the content's alignment as wrong; it counts it as disputed, and keeps both
// errors in the CSV. Success and errors stay against the dataset's truth. (Measured: s1s2
// fragments with smooth fields of up to 23 px that the dataset calls pixel-aligned; see
// docs/benchmarks/README.md.)
#include <memory>
#include <string>

#include "case_metrics.h"
#include "mmreg/datasets.h"
#include "pipelines.h"

namespace bench {

struct TruthAudit {
  bool disputed = false;
  double disagreementPx = NAN;  // the verified content model against the dataset, worst over the sensed image
  std::shared_ptr<const mmreg::Transform2D> content;  // sensed pixel -> reference pixel, when verified
};

TruthAudit auditTruth(const mmreg::AlignedPair& pair, const PipelineSettings& settings, const std::string& workDir,
                      double tolerancePx);

// The content's alignment composed with the case's synthetic warp, for a disputed pair; the
// case's own truth otherwise.
TruthFn truthFor(const mmreg::SyntheticCase& c, const mmreg::AlignedPair& pair, const TruthAudit& audit);

}  // namespace bench
