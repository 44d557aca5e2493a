#include "pipeline/match_rasters.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "features/area_matcher.h"
#include "features/area_refinement.h"
#include "pipeline/coarse_alignment.h"
#include "pipeline/pixel_mapping.h"
#include "pipeline/tile_reader.h"
#include "tiling/tile_plan.h"

namespace mmreg {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr int kOverviewSize = 1024;  // longest side of the overviews used for planning
constexpr int kCoarseSize = 256;     // longest side of the coarse-pass overviews
constexpr int kRefineMargins[] = {16, 6};  // processing pixels, passes 2 and 3

struct Context {
  const GeoRaster& ref;
  const GeoRaster& sen;
  const MatchOptions& opt;
  BandChoice refBands, senBands;
  std::shared_ptr<const Detector> centres;  // the area matcher's template centres (null: corners), or sift/orb's keypoints
  std::shared_ptr<const TileMatcher> keypointMatcher;  // every pass's matcher, unless it is the area matcher
};

// Overlap of the sensed footprint with the reference, in reference pixels.
PixelWindow overlapWindow(const Context& c, const PixelMapping& m) {
  std::vector<Point2> border;
  const int n = 64;
  for (int i = 0; i <= n; ++i) {
    const double fx = c.sen.width() * static_cast<double>(i) / n, fy = c.sen.height() * static_cast<double>(i) / n;
    border.push_back({fx, 0});
    border.push_back({fx, static_cast<double>(c.sen.height())});
    border.push_back({0, fy});
    border.push_back({static_cast<double>(c.sen.width()), fy});
  }
  m.sensedToRef(border);
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (auto& p : border)
    if (std::isfinite(p.x) && std::isfinite(p.y))
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  x0 = std::max(0.0, x0), y0 = std::max(0.0, y0);
  x1 = std::min<double>(c.ref.width(), x1), y1 = std::min<double>(c.ref.height(), y1);
  if (!(x1 - x0 >= 16 && y1 - y0 >= 16))
    throw Error("the footprints of '" + c.ref.path() + "' and '" + c.sen.path() +
                "' do not overlap under the sensed image's georeferencing; check both CRSs and extents with gdalinfo, "
                "or use -coarse always if the georeferencing is far off");
  return {static_cast<int>(std::floor(x0)), static_cast<int>(std::floor(y0)), static_cast<int>(std::ceil(x1 - x0)),
          static_cast<int>(std::ceil(y1 - y0))};
}

// Reference pixels per processing pixel: the sensed ground resolution, rounded down to a whole
// number so that every tile window is a whole number of reference pixels (matching slightly
// finer than the sensed resolution costs nothing in accuracy).
double processingScale(const PixelMapping& m, const PixelWindow& overlap) {
  const Point2 centre{overlap.x + overlap.width / 2.0, overlap.y + overlap.height / 2.0};
  return std::max(1.0, std::floor(1.0 / sensedPixelsPerRefPixel(m, centre) + 1e-6));
}

int overviewSide(const PixelWindow& w, int longest, int* h) {
  const double s = std::min(1.0, static_cast<double>(longest) / std::max(w.width, w.height));
  *h = std::max(1, static_cast<int>(w.height * s));
  return std::max(1, static_cast<int>(w.width * s));
}

std::unique_ptr<PixelMapping> runCoarse(const Context& c, double nominalSenPerRef, const ProgressSpan& progress,
                                        MatchResult& result) {
  const auto t0 = Clock::now();
  const PixelWindow rw{0, 0, c.ref.width(), c.ref.height()};
  int rh = 0;
  const int rwid = overviewSide(rw, kCoarseSize, &rh);
  const double refScale = static_cast<double>(c.ref.width()) / rwid;
  const Image refOv = readProcessed(c.ref, c.refBands, rw, rwid, rh);
  // Sensed overview at the same nominal ground resolution as the reference overview.
  const double senScale = refScale * nominalSenPerRef;
  const int sw = std::max(1, static_cast<int>(std::lround(c.sen.width() / senScale)));
  const int sh = std::max(1, static_cast<int>(std::lround(c.sen.height() / senScale)));
  const PixelWindow sWin{0, 0, static_cast<int>(std::lround(sw * senScale)), static_cast<int>(std::lround(sh * senScale))};
  const Image senOv = readProcessed(c.sen, c.senBands, sWin, sw, sh);
  auto a = coarseAlign(refOv, refScale, senOv, senScale, CoarseOptions{}, progress);
  result.coarseUsed = true;
  result.stages.push_back({"coarse", since(t0)});
  return modelMapping(*a.forward, *a.inverse);
}

// The first pass of the area matcher uses few large templates: robust to the full offset. Later
// passes use the dense default templates, which are precise once the frames nearly agree.
std::shared_ptr<const TileMatcher> passMatcher(const Context& c, int pass, int tileSide) {
  if (c.keypointMatcher) return c.keypointMatcher;
  AreaMatcherOptions o;
  o.centres = c.centres;
  if (pass > 1) return std::make_shared<AreaMatcher>(o);
  o.templateSize = std::clamp(tileSide / 2 / 2 * 2, 48, 192);
  o.gridStep = std::max(o.templateSize / 4, (tileSide - o.templateSize) / 4);  // up to 5 x 5, overlapping
  return std::make_shared<AreaMatcher>(o);
}

struct PassOutput {
  std::vector<TiePoint> points;
  std::vector<TileStats> stats;
};

PassOutput runPass(const Context& c, const PixelMapping& mapping, double scale, const PixelWindow& overlapRef, int pass,
                   int margin, const ProgressSpan& progress) {
  const PixelWindow overlap{static_cast<int>(std::floor(overlapRef.x / scale)), static_cast<int>(std::floor(overlapRef.y / scale)),
                            std::max(1, static_cast<int>(overlapRef.width / scale)),
                            std::max(1, static_cast<int>(overlapRef.height / scale))};
  const TileReader reader(c.ref, c.refBands, c.sen, c.senBands, scale);
  int oh = 0;
  const int ow = overviewSide(overlap, kOverviewSize, &oh);
  const PixelWindow overlapFull{overlapRef.x, overlapRef.y, static_cast<int>(overlap.width * scale),
                                static_cast<int>(overlap.height * scale)};
  const Image overview = readProcessed(c.ref, c.refBands, overlapFull, ow, oh);
  TilePlanOptions tpo;
  tpo.tileSize = c.opt.tileSize;
  tpo.maxTiles = c.opt.maxTiles;
  const auto plan = planTiles(overlap, overview, tpo);

  PassOutput out;
  std::vector<const PlannedTile*> todo;
  for (auto& t : plan) {
    TileStats s;
    s.index = t.index, s.pass = pass, s.skipped = t.skipped;
    s.window = {static_cast<int>(t.window.x * scale), static_cast<int>(t.window.y * scale),
                static_cast<int>(t.window.width * scale), static_cast<int>(t.window.height * scale)};
    out.stats.push_back(s);
    if (t.skipped.empty()) todo.push_back(&t);
  }
  const auto matcher = passMatcher(c, pass, std::min(overlap.width, std::min(overlap.height, c.opt.tileSize)));
  const int threads = c.opt.threads > 0 ? c.opt.threads : std::max(1u, std::thread::hardware_concurrency());

  // Read a batch in order (one GDAL handle per raster), match it in parallel (pure work).
  for (size_t b = 0; b < todo.size(); b += threads) {
    progress.update(static_cast<double>(b) / todo.size(), pass == 1 ? "matching tiles" : "refining tiles");
    const size_t e = std::min(todo.size(), b + threads);
    std::vector<Image> refs, sens;
    std::vector<std::vector<TileMatch>> found(e - b);
    std::vector<double> secs(e - b);
    for (size_t i = b; i < e; ++i) {
      refs.push_back(reader.reference(todo[i]->window));
      sens.push_back(reader.sensedInReferenceFrame(todo[i]->window, margin, mapping));
    }
    std::vector<std::thread> pool;
    for (size_t i = b; i < e; ++i)
      pool.emplace_back([&, i] {
        const auto t0 = Clock::now();
        const Image& s = sens[i - b];
        if (s.validFraction() >= 0.25) found[i - b] = matcher->match(refs[i - b], s, margin);
        if (c.keypointMatcher && c.opt.refine) found[i - b] = refineMatches(refs[i - b], s, margin, found[i - b]);
        secs[i - b] = since(t0);
      });
    for (auto& t : pool) t.join();
    for (size_t i = b; i < e; ++i) {
      const auto& win = todo[i]->window;
      auto& st = out.stats[todo[i]->index];
      st.seconds = secs[i - b];
      if (sens[i - b].validFraction() < 0.25) st.skipped = "no valid sensed data";
      std::vector<Point2> refPts, senPts;
      for (auto& m : found[i - b]) {
        refPts.push_back({(win.x + m.ref.x) * scale, (win.y + m.ref.y) * scale});
        senPts.push_back({(win.x + m.sensed.x) * scale, (win.y + m.sensed.y) * scale});
      }
      mapping.refToSensed(senPts);
      for (size_t k = 0; k < refPts.size(); ++k)
        if (std::isfinite(senPts[k].x) && std::isfinite(senPts[k].y))
          out.points.push_back({refPts[k], senPts[k], found[i - b][k].score, todo[i]->index});
      st.matches = static_cast<int>(refPts.size());
    }
  }
  progress.update(1.0);
  return out;
}

void countInliers(PassOutput& p, const FitResult& fit) {
  for (size_t i = 0; i < p.points.size(); ++i)
    if (fit.inlier[i]) ++p.stats[p.points[i].tile].inliers;
}

Modality resolveModality(const GeoRaster& r, const BandChoice& b, Modality requested) {
  if (requested != Modality::Auto) return requested;
  if (r.isComplex(b.bands[0])) return Modality::Sar;
  if (b.bands.size() > 1) return Modality::Optical;
  const PixelWindow all{0, 0, r.width(), r.height()};
  int h = 0;
  const int w = overviewSide(all, 512, &h);
  return guessModality(r.readWindow(b.bands[0], all, w, h));
}

// A pass's fit only has to bring the next pass within its small margin: the richest model the
// candidate count supports robustly.
ModelType intermediateModel(size_t candidates) {
  if (candidates >= 12) return ModelType::Affine;
  if (candidates >= 6) return ModelType::Similarity;
  return ModelType::Translation;
}

}  // namespace

void checkReference(const GeoRaster& ref) {
  if (!ref.hasGeoTransform())
    throw Error("the reference '" + ref.path() +
                "' has no geotransform; mmreg aligns onto a georeferenced reference: georeference it first "
                "(gdal_translate -a_ullr/-a_srs, or gdalwarp if it has GCPs)");
}

MatchResult matchOpenRasters(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt, const FitOptions& fitOpt,
                             const ProgressSpan& progress) {
  checkReference(ref);
  Context c{ref, sen, opt, {}, {}, nullptr, nullptr};
  if (opt.detector != "corner") c.centres = makeDetector(opt.detector, opt.learned);
  if (opt.matcher != "area") c.keypointMatcher = makeTileMatcher(opt.matcher, opt.learned, c.centres);
  c.refBands.bands = resolveBands(ref, opt.referenceBands, "reference band (-refb)");
  c.senBands.bands = resolveBands(sen, opt.sensedBands, "sensed band (-b)");
  c.refBands.modality = resolveModality(ref, c.refBands, opt.referenceModality);
  c.senBands.modality = resolveModality(sen, c.senBands, opt.sensedModality);
  MatchResult result;
  result.sensedModality = modalityName(c.senBands.modality);

  const bool senGeoref = sen.georefKind() != GeorefKind::None;
  const bool refCrs = !ref.crsWkt().empty(), senCrs = !sen.crsWkt().empty() || !opt.sensedSrs.empty();
  std::unique_ptr<PixelMapping> mapping;
  double nominal = 1;  // sensed pixels per reference pixel, for the coarse pass
  if (senGeoref && opt.coarse != CoarseMode::Always) {
    if (refCrs && !senCrs)
      throw Error("the reference has a CRS but the sensed raster '" + sen.path() +
                  "' has none; say which CRS its coordinates are in with -s_srs (e.g. -s_srs EPSG:32633), "
                  "or ignore its georeferencing with -coarse always");
    if (!refCrs && senCrs)
      throw Error("the sensed raster has a CRS but the reference '" + ref.path() +
                  "' has none; assign the reference's CRS first (gdal_edit.py -a_srs EPSG:n)");
    mapping = georefMapping(ref, sen, opt.sensedSrs);
  } else if (senGeoref) {
    nominal = sensedPixelsPerRefPixel(*georefMapping(ref, sen, opt.sensedSrs), {ref.width() / 2.0, ref.height() / 2.0});
  } else if (opt.coarse == CoarseMode::Never) {
    throw Error("the sensed raster '" + sen.path() +
                "' has no georeferencing and -coarse never was given; allow the coarse pass (-coarse auto)");
  }
  if (!mapping) mapping = runCoarse(c, nominal, progress.sub(0, 0.2), result);

  // Pass 1 searches the whole margin; its robust low-order fit brings the refinement passes
  // within their small margins.
  PixelWindow overlap;
  double scale = 1;
  FitOptions f1 = fitOpt;
  f1.checkShare = 0;
  auto firstPass = [&](const ProgressSpan& span, const std::string& stage, FitResult& fitOut) {
    const auto t = Clock::now();
    overlap = overlapWindow(c, *mapping);
    scale = processingScale(*mapping, overlap);
    PassOutput out = runPass(c, *mapping, scale, overlap, 1, opt.searchMargin, span);
    result.stages.push_back({stage, since(t)});
    f1.model = intermediateModel(out.points.size());
    f1.inlierThreshold = std::max(fitOpt.inlierThreshold, 3.0 * scale);
    fitOut = fitGlobalModel(out.points, f1);
    return out;
  };
  FitResult fit1;
  PassOutput p1;
  try {
    p1 = firstPass(progress.sub(0.2, 0.6), "match pass 1", fit1);
  } catch (const Error&) {
    if (opt.coarse != CoarseMode::Auto || result.coarseUsed) throw;
    // The georeferencing may be off by more than the margin: align by content, then retry.
    const Point2 centre{overlap.x + overlap.width / 2.0, overlap.y + overlap.height / 2.0};
    mapping = runCoarse(c, sensedPixelsPerRefPixel(*mapping, centre), progress.sub(0.2, 0.3), result);
    p1 = firstPass(progress.sub(0.3, 0.6), "match pass 1 (after coarse)", fit1);
  }
  countInliers(p1, fit1);

  result.tiles = p1.stats;

  // Refinement passes: re-warp through the last fit, search a small margin; the last pass's
  // points are the result, for the caller's own fit.
  FitResult fit = std::move(fit1);
  PassOutput last;
  const int passes = 1 + static_cast<int>(std::size(kRefineMargins));
  for (int pass = 2; pass <= passes; ++pass) {
    const auto t0 = Clock::now();
    const auto refined = modelMapping(*fit.forward, *fit.inverse);
    overlap = overlapWindow(c, *refined);
    const double p0 = 0.6 + 0.4 * (pass - 2) / (passes - 1);
    last = runPass(c, *refined, scale, overlap, pass, kRefineMargins[pass - 2], progress.sub(p0, p0 + 0.4 / (passes - 1)));
    result.stages.push_back({"match pass " + std::to_string(pass), since(t0)});
    if (pass < passes) {
      f1.model = intermediateModel(last.points.size());
      f1.inlierThreshold = std::max(fitOpt.inlierThreshold, 2.0 * scale);
      fit = fitGlobalModel(last.points, f1);
      countInliers(last, fit);
    }
    result.tiles.insert(result.tiles.end(), last.stats.begin(), last.stats.end());
  }
  result.finalPass = passes;
  result.processingScale = scale;
  result.tiePoints = std::move(last.points);
  return result;
}

}  // namespace mmreg
