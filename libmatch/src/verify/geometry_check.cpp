#include "verify/geometry_check.h"

#include <algorithm>
#include <cmath>

namespace mmreg {

GeometryCheck checkGeometry(const Transform2D& fwd, const Transform2D& inv, const LinearPrior& p, const PixelWindow& o,
                            const VerifyOptions& options) {
  GeometryCheck g;
  g.prior = p.source;
  g.scaleLimit = (1 + options.maxScaleChange) * (1 + p.scaleSlack) - 1;
  g.rotationLimitDeg = options.maxRotationDeg + p.rotationSlackDeg;
  g.anisotropyLimit = options.maxAnisotropy;
  const double pdet = p.a * p.d - p.b * p.c;
  if (!(std::abs(pdet) > 1e-12)) return g;
  // Inverse of the prior, to express the model relative to it.
  const double ia = p.d / pdet, ib = -p.b / pdet, ic = -p.c / pdet, id = p.a / pdet;
  for (int j = 0; j <= 4; ++j)
    for (int i = 0; i <= 4; ++i) {
      const Point2 s = inv.apply({o.x + o.width * i / 4.0, o.y + o.height * j / 4.0});
      // Central differences over one sensed pixel: exact for affine models, close for the rest.
      const Point2 xp = fwd.apply({s.x + 0.5, s.y}), xm = fwd.apply({s.x - 0.5, s.y});
      const Point2 yp = fwd.apply({s.x, s.y + 0.5}), ym = fwd.apply({s.x, s.y - 0.5});
      const double ja = xp.x - xm.x, jb = yp.x - ym.x, jc = xp.y - xm.y, jd = yp.y - ym.y;
      // R = J * prior^-1: identity when the model agrees with the prediction.
      const double a = ja * ia + jb * ic, b = ja * ib + jb * id, c = jc * ia + jd * ic, d = jc * ib + jd * id;
      const double det = a * d - b * c;
      if (!std::isfinite(det)) {
        g.worstScaleChange = INFINITY;
        continue;
      }
      g.mirrored = g.mirrored || det <= 0;
      const double s1 = std::hypot(a + d, c - b), s2 = std::hypot(a - d, c + b);  // singular values: (s1 +- s2) / 2
      const double big = 0.5 * (s1 + s2), small = 0.5 * std::abs(s1 - s2);
      g.worstScaleChange = std::max(g.worstScaleChange, std::abs(std::sqrt(std::abs(det)) - 1));
      g.worstRotationDeg = std::max(g.worstRotationDeg, std::abs(std::atan2(c - b, a + d)) * 180 / M_PI);
      g.worstAnisotropy = std::max(g.worstAnisotropy, small > 0 ? big / small : INFINITY);
    }
  g.plausible = !g.mirrored && g.worstScaleChange <= g.scaleLimit && g.worstRotationDeg <= g.rotationLimitDeg &&
                g.worstAnisotropy <= g.anisotropyLimit;
  return g;
}

}  // namespace mmreg
