#include "verify/verdict_rules.h"

#include <cmath>
#include <cstdio>
#include <string>


namespace mmreg {
namespace {

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

}  // namespace

const char* verdictName(VerdictLevel l) {
  switch (l) {
    case VerdictLevel::Verified: return "verified";
    case VerdictLevel::Doubtful: return "doubtful";
    default: return "failed";
  }
}

std::string Verdict::summary() const {
  if (level == VerdictLevel::Verified) return otherStarts.empty() ? "verified" : "verified (after " + std::to_string(otherStarts.size()) + " other starts)";
  std::string s = verdictName(level);
  for (size_t i = 0; i < reasons.size(); ++i) s += (i ? "; " : ": ") + reasons[i];
  s += advice.empty() ? "" : ". " + advice;
  if (!otherStarts.empty()) s += ". Also tried (" + std::to_string(otherStarts.size()) + "):";
  for (size_t i = 0; i < otherStarts.size(); ++i) s += (i ? "; " : " ") + otherStarts[i];
  return s;
}

double verifyPValueFor(const ConfirmationCheck& c, const VerdictThresholds& t) {
  return c.features == "regional" ? t.regionalVerifyPValue : t.verifyPValue;
}

bool strongerVerdict(const Verdict& a, const Verdict& b, const VerdictThresholds& t) {
  if (a.level != b.level) return a.level < b.level;
  return a.confirmation.pValue / verifyPValueFor(a.confirmation, t) < b.confirmation.pValue / verifyPValueFor(b.confirmation, t);
}

Verdict judge(const SupportCheck& s, const GeometryCheck& g, const ConfirmationCheck& c, ModelType model,
              const VerdictThresholds& t) {
  Verdict v;
  v.support = s, v.geometry = g, v.confirmation = c;
  std::vector<std::string> failed, doubtful;
  std::string advice;
  auto fail = [&](std::string why, const std::string& what) {
    if (advice.empty()) advice = what;
    failed.push_back(std::move(why));
  };
  auto doubt = [&](std::string why, const char* what) {
    if (advice.empty()) advice = what;
    doubtful.push_back(std::move(why));
  };

  if (g.mirrored)
    fail("the model mirrors the image against the " + g.prior,
         "check that neither image is flipped, and that both show the same area");
  else if (!g.plausible && model == ModelType::Translation && g.worstAnisotropy <= g.anisotropyLimit)
    // Widening the bounds would be the wrong advice: the start turns or scales the image, and
    // too few tie points agreed on a model that can.
    fail("the model is a translation, which cannot turn or scale the image as the " + g.prior + " does" +
             fmt(": rotation up to %.1f deg (limit %.0f), scale change up to %.0f%% (limit %.0f%%)", g.worstRotationDeg,
                 g.rotationLimitDeg, 100 * g.worstScaleChange, 100 * g.scaleLimit),
         "a similarity can, with at least " + std::to_string(minimumInliers(ModelType::Similarity)) +
             " inliers: try more tiles (-max_tiles), a larger -margin or -model similarity; otherwise check that both "
             "images show the same area");
  else if (!g.plausible)
    fail("implausible geometry against the " + g.prior +
             fmt(": scale changes by up to %.0f%% (limit %.0f%%), rotation up to %.1f deg (limit %.0f)", 100 * g.worstScaleChange,
                 100 * g.scaleLimit, g.worstRotationDeg, g.rotationLimitDeg) +
             fmt(", anisotropy up to %.2f (limit %.2f)", g.worstAnisotropy, g.anisotropyLimit),
         "if the sensed image really is this distorted, widen the bounds (-max_scale_change, -max_rotation, "
         "-max_anisotropy); otherwise check that both images show the same area");
  if (s.inliers < s.minInliers)
    fail(fmt("only %.0f inliers for a ", s.inliers) + modelName(model) + fmt(" model, which needs %.0f", s.minInliers),
         "try a simpler model (-model similarity or translation), more tiles (-max_tiles) or a larger -margin");
  if (c.windows == 0)
    doubt("no independent window had the structure to confirm the model",
          "inspect the tie points (-tiepoints); -keep_doubtful writes the result anyway");
  else if (c.pValue > t.failPValue)
    fail(fmt("independent windows do not confirm the model: %.0f of %.0f correlate at it, chance alone gives %.1f",
             c.confirmed, c.windows, c.chance * c.windows),
         "check that the images show the same area; for SAR, -sensed_type sar");
  else if (std::hypot(c.aggregateOffset.x, c.aggregateOffset.y) > t.failOffset)
    fail(fmt("independent windows put the alignment %.1f, %.1f processing px away from the model", c.aggregateOffset.x,
             c.aggregateOffset.y),
         "try a simpler model (-model), or a smaller -threshold");
  if (failed.empty()) {
    if (c.windows > 0 && c.pValue > verifyPValueFor(c, t))
      doubt(fmt("weak independent confirmation: %.0f of %.0f windows correlate at the model, chance alone gives %.1f", c.confirmed,
                c.windows, c.chance * c.windows) +
                fmt(" (p = %.1e; %.0e or less verifies)", c.pValue, verifyPValueFor(c, t)),
            "inspect the tie points (-tiepoints); -keep_doubtful writes the result anyway");
    if (c.windows > 0 && std::hypot(c.aggregateOffset.x, c.aggregateOffset.y) > t.maxAggregateOffset)
      doubt(fmt("independent windows put the alignment %.1f, %.1f processing px from the model (%.1f px or less verifies)",
                c.aggregateOffset.x, c.aggregateOffset.y, t.maxAggregateOffset),
            "try a simpler model (-model), or a smaller -threshold; -keep_doubtful writes the result anyway");
    if (c.rivalPValue <= t.rivalPValue)
      doubt(fmt("%.0f independent windows agree on an alignment %.1f, %.1f processing px from the model", c.rivalWindows,
                c.rivalOffset.x, c.rivalOffset.y) +
                fmt(" (p = %.1e by chance): the model fits only part of the overlap", c.rivalPValue),
            "if the sensed image is distorted, try a more flexible model (-model affine, projective or poly2); "
            "otherwise check that the scene did not change between the images; -keep_doubtful writes the result anyway");
    if (c.windows > 1 && c.perturbationMargin < t.minPerturbationMargin * std::max(c.aggregatePeak, 1e-3))
      doubt("a slightly perturbed model correlates clearly better than the fitted one",
            "inspect the tie points (-tiepoints); -keep_doubtful writes the result anyway");
    if (model != ModelType::Translation && c.windows > 1 && c.cellsConfirmed < 2)
      doubt("the confirmations all lie in one part of the overlap",
            "raise -max_tiles or use a simpler model; -keep_doubtful writes the result anyway");
    // A translation sits at every window once it sits at one; a model that can turn or scale
    // can sit at a band of windows and stray across it.
    else if (model != ModelType::Translation && c.windows > 1 && !(c.confirmedSpanPx <= t.maxConfirmedSpanPx))
      doubt(std::string("the confirmed windows do not span the overlap: ") +
                (std::isfinite(c.confirmedSpanPx)
                     ? fmt("the model could be %.1f processing px off away from them", c.confirmedSpanPx)
                     : "fewer than three, or in a line, they cannot fix a model that turns or scales") +
                fmt(" (%.0f px or less verifies)", t.maxConfirmedSpanPx),
            "try a simpler model (-model similarity or translation), or inspect the tie points (-tiepoints); "
            "-keep_doubtful writes the result anyway");
    if (s.extrapolationPx > t.maxExtrapolationPx)
      doubt(fmt("the inliers do not cover the overlap: the model's predicted error reaches %.1f px away from them",
                s.extrapolationPx),
            "use a simpler model (-model similarity), or raise -max_tiles; -keep_doubtful writes the result anyway");
  }
  v.level = !failed.empty() ? VerdictLevel::Failed : !doubtful.empty() ? VerdictLevel::Doubtful : VerdictLevel::Verified;
  v.reasons = failed.empty() ? doubtful : failed;
  if (v.level != VerdictLevel::Verified) v.advice = advice;
  return v;
}

}  // namespace mmreg
