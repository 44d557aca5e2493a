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
  const ConfirmationCheck confirmation = confirmModel(in.reader, *model, proc, confirm, progress);
  VerdictThresholds t;
  t.maxExtrapolationPx = in.inlierThreshold;
  return judge(support, geometry, confirmation, fit.forward->type(), t);
}

}  // namespace mmreg
