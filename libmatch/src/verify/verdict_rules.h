#pragma once
// The verdict's rules: from the checks' numbers to verified, doubtful or failed, with reasons.
#include "mmreg/model.h"
#include "mmreg/verdict.h"
#include "verify/geometry_check.h"

namespace mmreg {

struct VerdictThresholds {
  double verifyPValue = 1e-4;     // confirmations this unlikely under chance verify the model
  // ... when the search started from the coarse pass: its model is the best of hundreds of
  // rotations and scales, refined on the very pixels the windows then test, so a chance
  // alignment has had far more tries than one near the georeferencing (the look-elsewhere
  // effect). A precaution: the one pair that seemed to need it (verified 27 deg off its truth at
  // p = 2.1e-5) had a wrong truth (ALGORITHM.md); the right coarse results reached 3.2e-6 or less.
  double coarseVerifyPValue = 1e-5;
  double failPValue = 5e-2;       // ... and these likely are no evidence at all
  double minPerturbationMargin = -0.1;  // relative to the mean correlation at the model
  double failOffset = 3;          // processing px: the windows clearly put the alignment elsewhere
  double maxExtrapolationPx = 3;  // reference px of predicted error away from the inliers (the fit threshold)
};

Verdict judge(const SupportCheck& support, const GeometryCheck& geometry, const ConfirmationCheck& confirmation,
              ModelType model, const VerdictThresholds& thresholds);

}  // namespace mmreg
