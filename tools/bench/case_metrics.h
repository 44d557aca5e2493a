#pragma once
// Metrics of one pipeline run on one case, against the case's ground truth.
#include <cmath>
#include <functional>
#include <string>

#include "mmreg/synthetic_case.h"
#include "pipelines.h"

namespace bench {

struct CaseMetrics {
  double trueCheckRmse = NAN;  // fitted model vs truth at the held-out check points, px
  double trueGridRmse = NAN;   // the same over an 11 x 11 grid of the sensed image
  double mma[11] = {};         // MMA at 0..10 px of the tie-point candidates (index = threshold)
  double nnMap = 0;            // NN mAP over 1..10 px, candidates ranked by score
  int ncm3 = 0;                // correct candidates at 3 px
  double cmr3 = 0;
};

// Where a sensed pixel truly lies in the reference: the case's truth, or an audited one.
using TruthFn = std::function<mmreg::Point2(mmreg::Point2)>;

CaseMetrics evaluate(const PipelineRun& run, const mmreg::SyntheticCase& c, const TruthFn& truth);

// A fitted model against the truth: RMSE at its check points and over an 11 x 11 grid, px.
struct ModelError {
  double check = NAN, grid = NAN;
  double judged() const { return std::isfinite(check) ? check : grid; }  // without check points, the grid
};
ModelError modelError(const mmreg::FitResult& fit, const std::vector<mmreg::TiePoint>& points, const mmreg::SyntheticCase& c,
                      const TruthFn& truth);

// Keypoint repeatability at `eps` px of a detector (mmreg::makeDetector) on the preprocessed
// pair, the sensed keypoints mapped by the truth. Every detector keeps its strongest keypoints
// at one per 32 x 32 px of each image (SuperPoint's HPatches density: 300 in 480 x 640), so
// that none scores by density. NaN for an empty name.
double detectorRepeatability(const std::string& detector, const mmreg::SyntheticCase& c, mmreg::Modality sensed, double eps);

// The share of a detector's keypoints that chance alone repeats at that density: 1 - exp(-pi eps^2 / 1024).
double chanceRepeatability(double eps);

}  // namespace bench
