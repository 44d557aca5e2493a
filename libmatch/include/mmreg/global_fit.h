#pragma once
// One robust model over all tiles' tie points, with held-out check points.
#include <memory>
#include <string>
#include <vector>

#include "mmreg/geometry.h"
#include "mmreg/model.h"

namespace mmreg {

struct FitOptions {
  ModelType model = ModelType::Auto;
  double inlierThreshold = 3.0;  // reference pixels
  double checkShare = 0.2;       // share of inliers held out, never fitted
  unsigned seed = 1;             // makes the check-point draw repeatable
};

struct ModelCandidate {
  ModelType type;
  double cvRmse;  // cross-validated RMSE on the fitting inliers, reference pixels
};

struct FitResult {
  std::unique_ptr<Transform2D> forward;  // sensed pixel -> reference pixel
  std::unique_ptr<Transform2D> inverse;  // reference pixel -> sensed pixel
  std::vector<std::uint8_t> inlier;      // per tie point
  std::vector<std::uint8_t> check;       // per tie point: inlier held out as check point
  std::vector<Point2> residual;          // forward(sensed) - ref, reference pixels
  int inlierCount = 0;
  int checkCount = 0;
  double rmseFit = 0;    // on fitted inliers
  double rmseCheck = 0;  // on check points (NaN when none)
  std::vector<ModelCandidate> candidates;  // filled by the automatic choice
};

// Throws mmreg::Error when too few tie points survive for the model; the message names counts.
FitResult fitGlobalModel(const std::vector<TiePoint>& points, const FitOptions& options);

}  // namespace mmreg
