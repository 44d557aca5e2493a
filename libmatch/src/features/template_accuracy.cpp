#include "features/template_accuracy.h"

#include <cmath>

#include "features/fft_ncc.h"

namespace mmreg {

TemplateHits templateHits(const std::vector<cv::Mat>& ref, const std::vector<cv::Mat>& sensed, int t, int m, double tolerance) {
  TemplateHits h;
  const cv::Size size = ref[0].size();
  for (int y = m; y + t + m <= size.height; y += t / 3)
    for (int x = m; x + t + m <= size.width; x += t / 3) {
      std::vector<cv::Mat> tk, sk;
      for (size_t q = 0; q < ref.size(); ++q)
        tk.push_back(ref[q](cv::Rect(x, y, t, t))), sk.push_back(sensed[q](cv::Rect(x - m, y - m, t + 2 * m, t + 2 * m)));
      const cv::Mat ncc = multiChannelNcc(tk, sk);
      double best;
      cv::Point pk;
      cv::minMaxLoc(ncc, nullptr, &best, nullptr, &pk);
      if (best <= 0) continue;  // a flat template: no evidence
      ++h.templates;
      h.within += std::hypot(pk.x - m, pk.y - m) <= tolerance;
      h.offsets.push_back({pk.x - m, pk.y - m});
    }
  return h;
}

}  // namespace mmreg
