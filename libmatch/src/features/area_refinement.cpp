#include "features/area_refinement.h"

#include <cmath>

#include "cv_image.h"
#include "features/fft_ncc.h"
#include "features/area_matcher.h"

namespace mmreg {

std::vector<TileMatch> refineMatches(const Image& ref, const Image& sen, int margin, const std::vector<TileMatch>& matches,
                                     const AreaRefinementOptions& o) {
  if (matches.empty()) return {};
  const auto fr = computeFeatures(o.features.get(), ref, o.modalities.reference);
  const auto fs = computeFeatures(o.features.get(), sen, o.modalities.sensed);
  const cv::Mat refMask = validMask(ref), senMask = validMask(sen);
  const int t = o.templateSize, r = o.radius, h = t / 2, L = t + 2 * r;
  const cv::Rect refFrame(0, 0, ref.width, ref.height), senFrame(0, 0, sen.width, sen.height);
  std::vector<TileMatch> out;
  for (const auto& m : matches) {
    // The template sits on whole pixels: shift the match with it (a local translation).
    const int cx = static_cast<int>(std::lround(m.ref.x)), cy = static_cast<int>(std::lround(m.ref.y));
    const double sx = m.sensed.x + (cx - m.ref.x) + margin, sy = m.sensed.y + (cy - m.ref.y) + margin;  // padded frame
    const int px = static_cast<int>(std::lround(sx)), py = static_cast<int>(std::lround(sy));
    const cv::Rect tbox(cx - h, cy - h, t, t), sbox(px - h - r, py - h - r, L, L);
    if ((tbox & refFrame) != tbox || (sbox & senFrame) != sbox || cv::countNonZero(refMask(tbox)) < 0.9 * t * t ||
        cv::countNonZero(senMask(sbox)) < 0.9 * L * L) {
      out.push_back(m);
      continue;
    }
    std::vector<cv::Mat> tk, sk;
    for (size_t k = 0; k < fr.size(); ++k) tk.push_back(fr[k](tbox)), sk.push_back(fs[k](sbox));
    const cv::Mat ncc = multiChannelNcc(tk, sk);  // (2r+1)^2: offsets -r..r
    double best;
    cv::Point p;
    cv::minMaxLoc(ncc, nullptr, &best, nullptr, &p);
    if (best <= 0 || p.x == 0 || p.y == 0 || p.x == 2 * r || p.y == 2 * r) continue;
    const double dx = parabolaPeak(ncc.at<double>(p.y, p.x - 1), best, ncc.at<double>(p.y, p.x + 1));
    const double dy = parabolaPeak(ncc.at<double>(p.y - 1, p.x), best, ncc.at<double>(p.y + 1, p.x));
    TileMatch refined = m;
    refined.ref = {static_cast<double>(cx), static_cast<double>(cy)};
    refined.sensed = {px + (p.x - r) + dx - margin, py + (p.y - r) + dy - margin};
    out.push_back(refined);
  }
  return out;
}

}  // namespace mmreg
