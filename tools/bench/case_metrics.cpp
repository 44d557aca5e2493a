#include "case_metrics.h"

#include <cmath>

#include "mmreg/features.h"
#include "mmreg/metrics.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"

namespace bench {
namespace {

constexpr int kPixelsPerKeypoint = 32 * 32;

double distance(mmreg::Point2 a, mmreg::Point2 b) { return std::hypot(a.x - b.x, a.y - b.y); }

mmreg::Image processedWhole(const std::string& path, mmreg::Modality m) {
  const auto r = mmreg::GeoRaster::open(path);
  std::vector<mmreg::Image> bands;
  const mmreg::PixelWindow all{0, 0, r.width(), r.height()};
  for (int b = 1; b <= std::min(3, r.bandCount()); ++b) bands.push_back(r.readWindow(b, all, r.width(), r.height()));
  if (bands.size() == 2) bands.resize(1);
  return mmreg::preprocess(mmreg::combineBands(bands), m);
}

}  // namespace

CaseMetrics evaluate(const PipelineRun& run, const mmreg::SyntheticCase& c, const TruthFn& truth) {
  CaseMetrics m;
  std::vector<double> errors, scores;
  for (const auto& t : run.tiePoints) {
    errors.push_back(distance(truth(t.sensed), t.ref));
    scores.push_back(t.score);
  }
  for (int t = 0; t <= 10; ++t) m.mma[t] = mmreg::metrics::mma(errors, t);
  m.nnMap = mmreg::metrics::nnMap(scores, errors);
  m.ncm3 = mmreg::metrics::ncm(errors, 3);
  m.cmr3 = mmreg::metrics::cmr(errors, 3);
  if (!run.ok || !run.fit.forward) return m;
  const ModelError e = modelError(run.fit, run.tiePoints, c, truth);
  m.trueCheckRmse = e.check;
  m.trueGridRmse = e.grid;
  return m;
}

ModelError modelError(const mmreg::FitResult& fit, const std::vector<mmreg::TiePoint>& points, const mmreg::SyntheticCase& c,
                      const TruthFn& truth) {
  std::vector<mmreg::Point2> check, grid;
  for (size_t i = 0; i < points.size(); ++i)
    if (fit.check[i]) {
      const auto s = points[i].sensed, f = fit.forward->apply(s), t = truth(s);
      check.push_back({f.x - t.x, f.y - t.y});
    }
  for (int j = 0; j <= 10; ++j)
    for (int i = 0; i <= 10; ++i) {
      const mmreg::Point2 s{c.sensedWidth * i / 10.0, c.sensedHeight * j / 10.0};
      const auto f = fit.forward->apply(s), t = truth(s);
      grid.push_back({f.x - t.x, f.y - t.y});
    }
  return {mmreg::metrics::rmse(check), mmreg::metrics::rmse(grid)};
}

double detectorRepeatability(const std::string& name, const mmreg::SyntheticCase& c, mmreg::Modality sensed, double eps) {
  if (name.empty()) return NAN;
  const auto det = mmreg::makeDetector(name);
  const mmreg::Image a = processedWhole(c.reference, mmreg::Modality::Optical);
  const mmreg::Image b = processedWhole(c.sensed, sensed == mmreg::Modality::Auto ? mmreg::guessModality(a) : sensed);
  auto inside = [](const mmreg::Image& img, mmreg::Point2 p) { return p.x >= 0 && p.y >= 0 && p.x < img.width && p.y < img.height; };
  std::vector<mmreg::Point2> ka, kb;
  for (const auto& k : det->detect(a, a.width * a.height / kPixelsPerKeypoint)) ka.push_back(k.pos);
  for (const auto& k : det->detect(b, b.width * b.height / kPixelsPerKeypoint)) kb.push_back(c.truthOf(k.pos));
  // Keep the shared region only: A's points that land inside B, B's (mapped) inside A.
  std::vector<mmreg::Point2> sa, sb;
  for (const auto& p : ka)
    if (inside(b, c.truthInverseOf(p))) sa.push_back(p);
  for (const auto& p : kb)
    if (inside(a, p)) sb.push_back(p);
  return mmreg::metrics::repeatability(sa, sb, eps);
}

double chanceRepeatability(double eps) { return 1 - std::exp(-M_PI * eps * eps / kPixelsPerKeypoint); }

}  // namespace bench
