#include "pair_selection.h"

#include <algorithm>
#include <cmath>

#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "mmreg/splits.h"

namespace bench {

mmreg::Image readBands(const mmreg::ImageWindowRef& w) {
  const auto r = mmreg::GeoRaster::open(w.path);
  const mmreg::PixelWindow win = w.window.width ? w.window : mmreg::PixelWindow{0, 0, r.width(), r.height()};
  std::vector<mmreg::Image> bands;
  for (int b : w.bands.empty() ? std::vector<int>{1} : w.bands) bands.push_back(r.readWindow(b, win, win.width, win.height));
  return mmreg::combineBands(bands);
}

std::map<std::string, std::vector<mmreg::AlignedPair>> pairsByGroup(const std::string& data, const std::string& splitsFile,
                                                                     const std::string& split, const std::vector<std::string>& sources,
                                                                     const std::vector<std::string>& groups) {
  const auto spec = mmreg::loadSplits(splitsFile);
  auto listed = [](const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  std::map<std::string, std::vector<mmreg::AlignedPair>> out;
  for (const auto& p : mmreg::loadAll(data)) {
    const std::string key = p.source + "/" + p.group;
    if (!sources.empty() && !listed(sources, p.source)) continue;
    if (!groups.empty() && !listed(groups, p.group) && !listed(groups, key)) continue;
    if (split != "all" && mmreg::splitOf(p, spec) != split) continue;
    out[key].push_back(p);
  }
  return out;
}

bool sensedIsSar(const mmreg::AlignedPair& p) {
  return p.source == "3mos" || p.source == "s1s2" || p.source == "vsff" || p.group == "Optical-SAR";
}

std::vector<mmreg::AlignedPair> spreadEvenly(const std::vector<mmreg::AlignedPair>& list, size_t n) {
  n = std::min(n, list.size());
  std::vector<mmreg::AlignedPair> out;
  for (size_t k = 0; k < n; ++k) out.push_back(list[k * list.size() / n]);
  return out;
}

mmreg::Misregistration drawMisregistration(std::mt19937& rng, const MisregistrationRange& range) {
  std::uniform_real_distribution<double> u(-1, 1);
  mmreg::Misregistration m;
  const double ang = u(rng) * M_PI, r = range.maxShift * (0.5 + 0.5 * std::abs(u(rng)));
  m.dx = r * std::cos(ang), m.dy = r * std::sin(ang);
  m.rotationDeg = range.maxRotation * u(rng);
  m.scale = 1 + range.maxScale * u(rng);
  if (range.scaleOctaves > 0) m.scale = std::pow(2.0, range.scaleOctaves * u(rng));
  if (range.pixels) m.px = range.maxPerspective * u(rng), m.py = range.maxPerspective * u(rng);
  return m;
}

}  // namespace bench
