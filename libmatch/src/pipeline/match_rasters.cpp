#include "pipeline/match_rasters.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "features/area_matcher.h"
#include "features/area_refinement.h"
#include "parallel_items.h"
#include "pipeline/content_scale.h"
#include "pipeline/pixel_mapping.h"
#include "pipeline/tile_reader.h"
#include "tiling/tile_plan.h"

namespace mmreg {
namespace {

// Rethrows a tile worker's exception as mmreg::Error naming the tile; nothing when there is none.
void rethrowTileError(const std::exception_ptr& error, int tile, const std::string& matcher) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    throw Error("tile " + std::to_string(tile) + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error("the " + matcher + " matcher failed on tile " + std::to_string(tile) + " (" + e.what() +
                "); no output was written. Please report it with the command line, or try another -matcher");
  } catch (...) {
    throw Error("the " + matcher + " matcher failed on tile " + std::to_string(tile) +
                " with an unknown exception; no output was written. Please report it with the command line");
  }
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr int kOverviewSize = 1024;  // longest side of the overviews used for planning
constexpr int kRefineMargins[] = {16, 6};  // processing pixels, passes 2 and 3
// A tile whose own area (not the search margin around it) holds less valid sensed data is not
// matched; each template also needs its own search window partly valid (AreaMatcher::match).
constexpr double kMinTileValidShare = 0.25;

// Threads for each tile's templates while `tiles` tiles share `threads`: at least two (one
// thread alone on a pass's last tile would leave the others idle), at most about twice the
// cores in all; one when the user asked for one thread.
int templateThreads(int threads, size_t tiles) {
  const int n = resolveThreads(threads);
  if (n == 1) return 1;
  return std::max(2, n / static_cast<int>(std::clamp<size_t>(tiles, 1, n)));
}

// The first pass of the area matcher uses few large templates: robust to the full offset. Later
// passes use the dense default templates, which are precise once the frames nearly agree.
std::shared_ptr<const TileMatcher> passMatcher(const MatchContext& c, int pass, int tileSide, size_t tiles) {
  if (c.keypointMatcher) return c.keypointMatcher;
  AreaMatcherOptions o;
  o.centres = c.centres;
  o.features = c.features;
  o.modalities = {c.refBands.modality, c.senBands.modality};
  o.threads = templateThreads(c.opt.threads, tiles);
  if (pass > 1) return std::make_shared<AreaMatcher>(o);
  o.templateSize = std::clamp(tileSide / 2 / 2 * 2, 48, 192);
  o.gridStep = std::max(o.templateSize / 4, (tileSide - o.templateSize) / 4);  // up to 5 x 5, overlapping
  return std::make_shared<AreaMatcher>(o);
}

// Power of two by which the first pass is coarser than the processing grid, so that its margin
// covers the largest offset to expect (reference pixels), while the overlap keeps at least 256
// pixels a side there.
int firstPassFactor(const MatchContext& c, const PixelWindow& overlapRef, double scale, double reach) {
  int f = 1;
  while (c.opt.searchMargin * scale * f < reach && std::min(overlapRef.width, overlapRef.height) / (scale * f * 2) >= 256) f *= 2;
  return f;
}

// The first pass's search margin, processing pixels: the full -margin from the georeferencing;
// from a coarse start, what its own uncertainty needs (at least 16 pixels). A margin far beyond
// it leaves a small sensed image's padded search windows mostly empty, and gives chance peaks
// room.
int firstPassMargin(const MatchContext& c, double reachPx, double firstScale) {
  if (reachPx <= 0) return c.opt.searchMargin;
  return std::clamp(static_cast<int>(std::ceil(reachPx / firstScale)), std::min(16, c.opt.searchMargin), c.opt.searchMargin);
}

// The dense templates of the refinement passes, processing pixels.
int finalTemplateSize(const MatchContext& c, const PixelWindow& overlapRef, double scale) {
  return defaultTemplateSize(std::min({c.opt.tileSize, static_cast<int>(overlapRef.width / scale), static_cast<int>(overlapRef.height / scale)}));
}

double innerValidFraction(const Image& padded, int margin) {
  if (padded.valid.empty()) return padded.empty() ? 0 : 1;
  size_t n = 0, all = 0;
  for (int y = margin; y < padded.height - margin; ++y)
    for (int x = margin; x < padded.width - margin; ++x) n += padded.valid[static_cast<size_t>(y) * padded.width + x] != 0, ++all;
  return all ? static_cast<double>(n) / all : 0;
}

struct PassOutput {
  std::vector<TiePoint> points;
  std::vector<TileStats> stats;
};

PassOutput runPass(const MatchContext& c, const PixelMapping& mapping, double scale, const PixelWindow& overlapRef, int pass,
                   int margin, const ProgressSpan& progress) {
  const PixelWindow overlap{static_cast<int>(std::floor(overlapRef.x / scale)), static_cast<int>(std::floor(overlapRef.y / scale)),
                            std::max(1, static_cast<int>(overlapRef.width / scale)),
                            std::max(1, static_cast<int>(overlapRef.height / scale))};
  const TileReader reader(c.ref, c.refBands, c.sen, c.senBands, scale, c.decoded);
  int oh = 0;
  const int ow = overviewSide(overlap, kOverviewSize, &oh);
  const PixelWindow overlapFull{overlapRef.x, overlapRef.y, static_cast<int>(overlap.width * scale),
                                static_cast<int>(overlap.height * scale)};
  const Image overview = reader.referenceAt(overlapFull, ow, oh);
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
  const auto matcher = passMatcher(c, pass, std::min(overlap.width, std::min(overlap.height, c.opt.tileSize)), todo.size());
  AreaRefinementOptions refinement;
  refinement.features = c.features;
  refinement.modalities = {c.refBands.modality, c.senBands.modality};

  // Each thread takes the next tile, reads it (the reader serialises file access) and matches
  // it, so that reading one tile overlaps matching another.
  const size_t n = todo.size();
  std::vector<std::vector<TileMatch>> found(n);
  std::vector<double> secs(n), validShare(n);
  const auto errors = forEachItem(
      n, c.opt.threads,
      [&](size_t i) {
        const auto t0 = Clock::now();
        const Image r = reader.reference(todo[i]->window);
        const Image s = reader.sensedInReferenceFrame(todo[i]->window, margin, mapping);
        // Valid data under the tile itself: the search margin around it lies outside a small
        // sensed image wherever the tile nears its edge, and says nothing about the overlap.
        validShare[i] = innerValidFraction(s, margin);
        if (validShare[i] >= kMinTileValidShare) found[i] = matcher->match(r, s, margin);
        if (c.keypointMatcher && c.opt.refine) found[i] = refineMatches(r, s, margin, found[i], refinement);
        secs[i] = since(t0);
      },
      [&](size_t finished) {
        progress.update(static_cast<double>(finished) / n, pass == 1 ? "matching tiles" : "refining tiles");
      });
  for (size_t i = 0; i < n; ++i) rethrowTileError(errors[i], todo[i]->index, matcher->name());
  for (size_t i = 0; i < n; ++i) {
    const auto& win = todo[i]->window;
    auto& st = out.stats[todo[i]->index];
    st.seconds = secs[i];
    if (validShare[i] < kMinTileValidShare) st.skipped = "no valid sensed data";
    std::vector<Point2> refPts, senPts;
    for (auto& m : found[i]) {
      refPts.push_back({(win.x + m.ref.x) * scale, (win.y + m.ref.y) * scale});
      senPts.push_back({(win.x + m.sensed.x) * scale, (win.y + m.sensed.y) * scale});
    }
    mapping.refToSensed(senPts);
    for (size_t k = 0; k < refPts.size(); ++k)
      if (std::isfinite(senPts[k].x) && std::isfinite(senPts[k].y))
        out.points.push_back({refPts[k], senPts[k], found[i][k].score, todo[i]->index});
    st.matches = static_cast<int>(refPts.size());
  }
  progress.update(1.0);
  return out;
}

void countInliers(PassOutput& p, const FitResult& fit) {
  for (size_t i = 0; i < p.points.size(); ++i)
    if (fit.inlier[i]) ++p.stats[p.points[i].tile].inliers;
}

// What the caller needs of the final pass.
void finishResult(const MatchContext& c, int pass, double scale, const PixelWindow& overlap, std::vector<TiePoint> points,
                  MatchResult& result) {
  result.finalPass = pass;
  result.processingScale = scale;
  result.overlap = overlap;
  result.templateSizePx = finalTemplateSize(c, overlap, scale) * scale;
  result.tiePoints = std::move(points);
}

// How the bands were read, for the report and its pictures.
void describeInputs(const MatchContext& c, MatchResult& result) {
  result.sensedModality = modalityName(c.senBands.modality);
  result.referenceDecibels = c.refBands.decibels;
  result.sensedDecibels = c.senBands.decibels;
  result.referenceBands = c.refBands.bands;
  result.sensedBands = c.senBands.bands;
}

}  // namespace

MatchResult matchFrom(const MatchContext& c, const PixelMapping& start, const FitOptions& fitOpt, double reachPx,
                      const ProgressSpan& progress) {
  MatchResult result;
  describeInputs(c, result);
  // Pass 1 searches the whole margin; its robust low-order fit brings the refinement passes
  // within their small margins.
  const auto t1 = Clock::now();
  PixelWindow overlap = overlapWindow(c, start);
  // Match where the images have structure; search the first pass on a level whose margin
  // covers the offset to expect.
  // (Refinement passes one level finer than the content scale were tried: on the sample
  // upsampled 4 and 10 times their windows no longer confirmed the model.)
  const double base = processingScale(start, overlap);
  const double scale = base * contentFactor(c, start, overlap, base);
  // Keypoint matchers search their margin on the processing grid: their keypoints thin out on
  // a coarser level (measured: OpenCV AKAZE lost a VSFF pair), and a margin widened to the
  // offset instead leaves small images' padded sensed tiles mostly empty (Landsat: no match).
  decodeAtScale(c, start, overlap, scale);
  const double reach = reachPx > 0 ? reachPx : georefReachPx(c.ref, c.opt);
  const double firstScale = c.keypointMatcher ? scale : scale * firstPassFactor(c, overlap, scale, reach);
  PassOutput p1 = runPass(c, start, firstScale, overlap, 1, firstPassMargin(c, reachPx, firstScale), progress.sub(0, 0.5));
  result.stages.push_back({"match pass 1", since(t1)});
  FitOptions f1 = fitOpt;
  f1.checkShare = 0;
  f1.inlierThreshold = std::max(fitOpt.inlierThreshold, 3.0 * firstScale);
  // A pass's fit only has to bring the next pass within its small margin.
  FitResult fit = fitRichestSupported(p1.points, f1);
  countInliers(p1, fit);
  result.tiles = p1.stats;

  // Refinement passes: re-warp through the last fit, search a small margin; the last pass's
  // points are the result, for the caller's own fit.
  PassOutput last;
  const int passes = 1 + static_cast<int>(std::size(kRefineMargins));
  for (int pass = 2; pass <= passes; ++pass) {
    const auto t0 = Clock::now();
    const auto refined = modelMapping(*fit.forward, *fit.inverse);
    overlap = overlapWindow(c, *refined);
    const double p0 = 0.5 + 0.5 * (pass - 2) / (passes - 1);
    last = runPass(c, *refined, scale, overlap, pass, kRefineMargins[pass - 2], progress.sub(p0, p0 + 0.5 / (passes - 1)));
    result.stages.push_back({"match pass " + std::to_string(pass), since(t0)});
    if (pass < passes) {
      f1.inlierThreshold = std::max(fitOpt.inlierThreshold, 2.0 * scale);
      fit = fitRichestSupported(last.points, f1);
      countInliers(last, fit);
    }
    result.tiles.insert(result.tiles.end(), last.stats.begin(), last.stats.end());
  }
  finishResult(c, passes, scale, overlap, std::move(last.points), result);
  return result;
}

MatchResult matchThrough(const MatchContext& c, const PixelMapping& mapping, double scale, const ProgressSpan& progress) {
  const auto t0 = Clock::now();
  MatchResult result;
  describeInputs(c, result);
  const PixelWindow overlap = overlapWindow(c, mapping);
  decodeAtScale(c, mapping, overlap, scale);
  const int pass = 2 + static_cast<int>(std::size(kRefineMargins));
  PassOutput out = runPass(c, mapping, scale, overlap, pass, kRefineMargins[std::size(kRefineMargins) - 1], progress);
  result.stages.push_back({"match pass " + std::to_string(pass), since(t0)});
  result.tiles = std::move(out.stats);
  finishResult(c, pass, scale, overlap, std::move(out.points), result);
  return result;
}

}  // namespace mmreg
