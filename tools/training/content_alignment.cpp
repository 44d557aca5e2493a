#include "training/content_alignment.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "features/structural_features.h"
#include "features/template_accuracy.h"

namespace mmreg::training {

namespace {

int median(std::vector<int> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

ContentAlignment measureContentAlignment(const LoadedPair& pair) {
  const int r = 16;  // the search radius, and so the largest offset found
  const auto hits = templateHits(structuralFeatures(toImage(pair.reference)), structuralFeatures(toImage(pair.sensed)), 64, r, 2);
  ContentAlignment a;
  a.templates = static_cast<int>(hits.offsets.size());
  // The mode, not the median: with most templates lost in speckle, a median is pulled towards
  // zero by the noise, a mode is not.
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      int n = 0;
      for (const auto& o : hits.offsets) n += std::abs(o.x - dx) <= 2 && std::abs(o.y - dy) <= 2;
      if (n > a.agreeing || (n == a.agreeing && std::hypot(dx, dy) < std::hypot(a.offset.x, a.offset.y))) a.offset = {dx, dy}, a.agreeing = n;
    }
  // Then the median of the agreeing peaks: a box's count is flat over a pixel or two.
  std::vector<int> xs, ys;
  for (const auto& o : hits.offsets)
    if (std::abs(o.x - a.offset.x) <= 2 && std::abs(o.y - a.offset.y) <= 2) xs.push_back(o.x), ys.push_back(o.y);
  if (!xs.empty()) a.offset = {median(xs), median(ys)};
  return a;
}

LoadedPair shiftedPair(const LoadedPair& pair, cv::Point offset) {
  const int64_t h = pair.reference.size(2), w = pair.reference.size(3);
  const int64_t dx = offset.x, dy = offset.y;
  auto cut = [&](const torch::Tensor& t, int64_t x0, int64_t y0) {
    return t.slice(2, y0, y0 + h - std::abs(dy)).slice(3, x0, x0 + w - std::abs(dx)).clone();
  };
  LoadedPair out = pair;
  out.reference = cut(pair.reference, std::max<int64_t>(0, -dx), std::max<int64_t>(0, -dy));
  out.sensed = cut(pair.sensed, std::max<int64_t>(0, dx), std::max<int64_t>(0, dy));
  return out;
}

}  // namespace mmreg::training
