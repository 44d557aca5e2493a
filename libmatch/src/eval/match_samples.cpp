#include "mmreg/match_samples.h"

#include <cmath>

namespace mmreg {

std::vector<MatchSample> sampleMatchPairs(const Homography& warpA, const Homography& warpB, int width, int height,
                                          const MatchSampleOptions& o, std::mt19937& rng) {
  const double half = o.patchSize / 2.0;
  auto patchFits = [&](Point2 p) { return p.x >= half && p.y >= half && p.x <= width - half && p.y <= height - half; };
  std::uniform_real_distribution<double> ux(0, width), uy(0, height), angle(0, 2 * M_PI), unit(0, 1);
  std::vector<MatchSample> out;
  int positives = 0;
  for (int tries = 0; positives < o.positives && tries < o.maxTries; ++tries) {
    const Point2 p{ux(rng), uy(rng)};
    const Point2 a = applyH(warpA, p), b = applyH(warpB, p);
    if (!patchFits(a) || !patchFits(b)) continue;
    // Its negative: the same patch of A against B's patch of another ground point q.
    const bool hard = unit(rng) < o.hardShare;
    Point2 bq{};
    bool found = false;
    for (int t = 0; t < 100 && !found; ++t) {
      Point2 q;
      if (hard) {
        const double r = o.hardMinPx + (o.hardMaxPx - o.hardMinPx) * unit(rng), th = angle(rng);
        q = {p.x + r * std::cos(th), p.y + r * std::sin(th)};
      } else {
        q = {ux(rng), uy(rng)};
        if (std::hypot(q.x - p.x, q.y - p.y) < o.easyMinPx) continue;
      }
      bq = applyH(warpB, q);
      found = patchFits(bq);
    }
    if (!found) continue;
    out.push_back({a, b, true, false});
    out.push_back({a, bq, false, hard});
    ++positives;
  }
  return out;
}

}  // namespace mmreg
