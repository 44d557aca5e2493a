#include "verify/verify_model.h"

#include <cmath>

#include "pipeline/pixel_mapping.h"
#include "verify/confirmation.h"
#include "verify/support_check.h"
#include "verify/verdict_rules.h"

namespace mmreg {

Verdict verifyModel(const std::vector<TiePoint>& points, const FitResult& fit, const VerifyInputs& in,
                    const VerifyOptions& options, const ProgressSpan& progress) {
  const SupportCheck support = checkSupport(points, fit, in.overlap);
  const GeometryCheck geometry = checkGeometry(*fit.forward, *fit.inverse, in.prior, in.overlap, options);
  const PixelWindow proc{static_cast<int>(std::floor(in.overlap.x / in.scale)), static_cast<int>(std::floor(in.overlap.y / in.scale)),
                         std::max(1, static_cast<int>(in.overlap.width / in.scale)),
                         std::max(1, static_cast<int>(in.overlap.height / in.scale))};
  const auto model = modelMapping(*fit.forward, *fit.inverse);
  ConfirmationOptions confirm;
  confirm.threads = in.threads;
  VerdictThresholds t;
  t.maxExtrapolationPx = in.inlierThreshold;
  Verdict v = judge(support, geometry, confirmModel(in.reader, *model, proc, confirm, progress.sub(0, 0.5)),
                    fit.forward->type(), t);
  // Support and geometry do not depend on the windows: where they fail, so would a second look.
  if (v.level == VerdictLevel::Verified || !geometry.plausible || geometry.mirrored || support.inliers < support.minInliers)
    return v;
  confirm.features.normalisation = StructuralFeatureOptions::Normalisation::Regional;
  Verdict second = judge(support, geometry, confirmModel(in.reader, *model, proc, confirm, progress.sub(0.5, 1)),
                         fit.forward->type(), t);
  return second.level == VerdictLevel::Verified ? second : v;
}

}  // namespace mmreg
