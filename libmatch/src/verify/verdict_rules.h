#pragma once
// The verdict's rules: from the checks' numbers to verified, doubtful or failed, with reasons.
#include "mmreg/model.h"
#include "mmreg/verdict.h"
#include "verify/geometry_check.h"

namespace mmreg {

struct VerdictThresholds {
  // Confirmations this unlikely under chance verify the model, whichever start it came from:
  // of 129 wrong final models from coarse starts (measured 2026-11-29) none reached below
  // 5.7e-4, while right ones did at 1.2e-5 to 2.2e-5 (ALGORITHM.md, "Verdict").
  double verifyPValue = 1e-4;
  // A model the windows do not verify on their per-pixel features is confirmed once more on the
  // same features normalised by regional energy, which keep an edge against weak texture beside
  // it (depth against optical). That second test must reach this, ten times stricter, so a
  // wrong model passes one or the other by chance at most 1.1e-4 (VERDICT.md, "A second look
  // on regional features"); at 1e-4 it had accepted a model 10.9 px off its truth at 2.0e-5.
  double regionalVerifyPValue = 1e-5;
  double failPValue = 5e-2;       // ... and these likely are no evidence at all
  double minPerturbationMargin = -0.1;  // relative to the mean correlation at the model
  double failOffset = 3;          // processing px: the windows clearly put the alignment elsewhere
  // Processing px: the windows' mean surface must peak this close to the model to verify it. Of
  // 390 right verified results 99 % were within 0.91 px; a model 5 px off its truth that the
  // windows confirmed in part peaked 1.33 px away (VERDICT.md, "The search radius").
  double maxAggregateOffset = 1.0;
  // Windows agreeing on an alignment away from the model this unlikely by chance make it
  // doubtful: it fits part of the overlap only. The 97 verified models within 3 px of their
  // truth in issue 12's tables all had 1; a model 5.6 px off its truth reached 7.5e-4
  // (VERDICT.md, "A rival alignment").
  double rivalPValue = 1e-2;
  double maxExtrapolationPx = 3;  // reference px of predicted error away from the inliers (the fit threshold)
  // Processing px: the error a model that can turn or scale may have over the overlap and still
  // sit at every confirmed window (ConfirmationCheck::confirmedSpanPx). Confirmed windows along
  // a band verified affines 9.5 and 10.5 px off their truth (3MOS SEN hills 6, georeferenced,
  // 6.3 px; SRIF optical-map 143, unreferenced, 4.6 px; both on the validation split); right
  // models that can turn or scale reached at most 3.9 in 219 verified results of eight tables
  // (VERDICT.md, "Where the confirmed windows lie").
  double maxConfirmedSpanPx = 4;
};

// The p-value the windows of `confirmation` must reach to verify: verifyPValue on the per-pixel
// features, regionalVerifyPValue on the regional ones. judge() holds each look to its own.
double verifyPValueFor(const ConfirmationCheck& confirmation, const VerdictThresholds& thresholds);

// Whether `a` is the better of two starts' verdicts: the higher level (verified, doubtful,
// failed), then the confirmation's p-value as a share of its own look's threshold, so a second
// look's windows are weighed against the ten times stricter bar they had to reach.
bool strongerVerdict(const Verdict& a, const Verdict& b, const VerdictThresholds& thresholds);

Verdict judge(const SupportCheck& support, const GeometryCheck& geometry, const ConfirmationCheck& confirmation,
              ModelType model, const VerdictThresholds& thresholds);

}  // namespace mmreg
