#include "truth_audit.h"

#include <cpl_vsi.h>

#include <cmath>

#include "mmreg/coregister.h"
#include "mmreg/error.h"

namespace bench {
namespace {

mmreg::Point2 applyAffine(const std::array<double, 6>& m, mmreg::Point2 p) {
  return {m[0] * p.x + m[1] * p.y + m[2], m[3] * p.x + m[4] * p.y + m[5]};
}

std::array<double, 6> invert(const std::array<double, 6>& m) {
  const double det = m[0] * m[4] - m[1] * m[3];
  const double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  return {a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
}

}  // namespace

TruthAudit auditTruth(const mmreg::AlignedPair& pair, const PipelineSettings& settings, const std::string& workDir,
                      double tolerancePx) {
  TruthAudit audit;
  const auto c = mmreg::buildCase(pair, mmreg::Misregistration{}, mmreg::MisregistrationMode::Georeferencing, workDir, "audit");
  mmreg::CoregisterOptions o;
  o.reference = c.reference;
  o.sensed = c.sensed;
  o.match.sensedModality = settings.sensedModality;
  o.match.coarse = mmreg::CoarseMode::Never;
  try {
    const auto r = mmreg::coregister(o, nullptr);
    audit.content = r.fit.forward->clone();
    audit.disagreementPx = 0;
    for (int j = 0; j <= 10; ++j)
      for (int i = 0; i <= 10; ++i) {
        const mmreg::Point2 s{c.sensedWidth * i / 10.0, c.sensedHeight * j / 10.0};
        const auto a = audit.content->apply(s), b = c.truthOf(s);
        audit.disagreementPx = std::max(audit.disagreementPx, std::hypot(a.x - b.x, a.y - b.y));
      }
    audit.disputed = audit.disagreementPx > tolerancePx;
  } catch (const mmreg::Error&) {
    // Refused or failed: the content gives no verified alignment, so the dataset's stands.
  }
  VSIUnlink(c.reference.c_str());
  VSIUnlink(c.sensed.c_str());
  return audit;
}

TruthFn truthFor(const mmreg::SyntheticCase& c, const mmreg::AlignedPair& pair, const TruthAudit& audit) {
  if (!audit.disputed) return [&c](mmreg::Point2 p) { return c.truthOf(p); };
  // The case's truth is the dataset's alignment after the case's own warp W: truth = S2R o W,
  // so W = S2R^-1 o truth, and the content's truth is Content o W.
  const auto fromRef = invert(pair.sensedToReference);
  const auto content = audit.content;
  return [&c, fromRef, content](mmreg::Point2 p) { return content->apply(applyAffine(fromRef, c.truthOf(p))); };
}

}  // namespace bench
