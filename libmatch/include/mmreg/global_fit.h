#pragma once
// One robust model over all tiles' tie points, with held-out check points.
#include <functional>
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
  // Side of the square blocks (reference pixels) that check points are held out in, whole, so
  // that no fitted point shares a block with a check point; 0: check points drawn one by one.
  double checkBlockPx = 0;
  // Where the model will be used (reference pixels; width 0: the inliers' bounding box). The
  // automatic choice skips a model whose predicted error reaches the inlier threshold there.
  PixelWindow extent;
  unsigned seed = 1;             // makes the check-point draw repeatable
  // When set, the automatic choice only considers models whose geometry it accepts (the
  // verdict's check against the start's prediction): a richer model that bends beyond the
  // bounds where it has few points must not shadow a plausible simpler one. Where none is
  // plausible, a plausible model left out only for its predicted error away from the points
  // is taken (the one predicted to stray least) before an implausible one.
  std::function<bool(const Transform2D& forward, const Transform2D& inverse)> plausible;
};

struct ModelCandidate {
  ModelType type;
  double cvRmse;  // cross-validated RMSE on the fitting inliers, reference pixels
  bool plausible = true;  // by FitOptions::plausible, when given
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

// The fewest tie points fitGlobalModel takes for `model` (Auto: as many as an affine needs).
size_t tiePointsNeeded(ModelType model);
// Throws mmreg::Error when too few tie points survive for the model; the message names counts.
FitResult fitGlobalModel(const std::vector<TiePoint>& points, const FitOptions& options);

// The richest of affine, similarity and translation that the candidate count supports (affine
// from 12, similarity from 6), or a simpler one where too few candidates agree on it (a small
// or partly covered overlap gives few); options.model is ignored. Throws the richest model's
// error when none fits.
FitResult fitRichestSupported(const std::vector<TiePoint>& points, FitOptions options);

}  // namespace mmreg
