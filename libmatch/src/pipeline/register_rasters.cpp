#include "pipeline/register_rasters.h"

#include <cpl_error.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>

#include "mmreg/error.h"
#include "pipeline/coarse_alignment.h"
#include "pipeline/feature_hypotheses.h"
#include "pipeline/match_context.h"
#include "pipeline/match_rasters.h"
#include "verify/confirmation.h"
#include "verify/verdict_rules.h"
#include "verify/verify_model.h"

namespace mmreg {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr int kCoarseSize = 256;   // longest side of the coarse-pass overviews
constexpr int kFeatureSize = 512;  // and of the keypoint hypotheses' overviews
// How far a keypoint hypothesis's scale and rotation may be off, for the verdict's geometry
// check: as one step of the correlation search; measured, they are a few percent and degrees
// off (docs/benchmarks/HYPOTHESES.md).
constexpr double kKeypointScaleSlack = 0.26, kKeypointRotationSlackDeg = 5;

struct Start {
  std::unique_ptr<PixelMapping> mapping;
  LinearPrior prior;
  std::string name;
  double reachPx = 0;  // how far off it may be, reference pixels (0: the georeferencing's bound)
  bool mirrored = false;  // from a search on the sensed image turned over
};

// The linear part of sensed -> reference pixels that `m` predicts around reference point p.
LinearPrior priorOf(const PixelMapping& m, Point2 p, const std::string& source) {
  std::vector<Point2> q{p, {p.x + 1, p.y}, {p.x, p.y + 1}};
  m.refToSensed(q);
  const double a = q[1].x - q[0].x, b = q[2].x - q[0].x, c = q[1].y - q[0].y, d = q[2].y - q[0].y;
  const double det = a * d - b * c;
  LinearPrior out;
  out.source = source;
  if (std::isfinite(det) && std::abs(det) > 1e-12) out.a = d / det, out.b = -b / det, out.c = -c / det, out.d = a / det;
  return out;
}

// A coarse alignment as a start: its similarity, known to about one search step (scaleSlack,
// rotationSlackDeg) for the verdict's geometry check.
Start startFrom(const MatchContext& c, const CoarseAlignment& a, double refScale, double scaleSlack, double rotationSlackDeg,
                const std::string& name) {
  const auto m = a.forward->affineMatrix();
  LinearPrior prior;
  prior.source = kCoarsePriorSource;
  prior.a = m[0], prior.b = m[1], prior.c = m[3], prior.d = m[4];
  prior.scaleSlack = scaleSlack;
  prior.rotationSlackDeg = rotationSlackDeg;
  const double footprint = std::hypot(c.sen.width(), c.sen.height()) * std::sqrt(std::abs(m[0] * m[4] - m[1] * m[3]));
  return {modelMapping(*a.forward, *a.inverse), prior, name, contentStartReach(refScale, footprint)};
}

// The sensed overview turned over left to right, for the mirrored searches.
Image mirroredImage(const Image& img) {
  Image out = img;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const size_t to = static_cast<size_t>(y) * img.width + x, from = static_cast<size_t>(y) * img.width + (img.width - 1 - x);
      out.pixels[to] = img.pixels[from];
      if (!img.valid.empty()) out.valid[to] = img.valid[from];
    }
  return out;
}

// A hypothesis found on the mirrored overview, as one on the sensed image itself: the sensed
// full-resolution pixel (x, y) lies at (width - x, y) of the mirrored one. An affine holds the
// reflection; the verdict's geometry is then judged against it, so a model that undoes the
// mirroring is not "mirrored".
void unmirror(CoarseAlignment& a, double width, double height) {
  std::vector<Point2> from{{0, 0}, {width, 0}, {0, height}, {width, height}}, to;
  for (const auto& p : from) to.push_back(a.forward->apply({width - p.x, p.y}));
  a.forward = fitTransform(ModelType::Affine, from, to);
  a.inverse = fitTransform(ModelType::Affine, to, from);
}

// Both content searches work on overviews; `mirrored` turns the sensed one over first (a SAR
// image in radar geometry is mirrored against a north-up map: left to right from a descending
// pass, top to bottom, which is that and half a turn, from an ascending one).
Overviews searchOverviews(const MatchContext& c, double nominal, int longest, bool mirrored) {
  Overviews o = readOverviews(c, nominal, longest);
  if (mirrored) o.sen = mirroredImage(o.sen);
  return o;
}

std::string hypothesisName(const char* search, bool mirrored, size_t k, size_t n) {
  return std::string(mirrored ? "mirrored " : "") + search + " hypothesis " + std::to_string(k + 1) + " of " + std::to_string(n);
}

// The coarse pass's hypotheses as starts. nominal: sensed pixels per reference pixel that the
// pixel sizes give (0 when the files carry none: then scales from 0.5 to 2 are searched);
// threads: -threads (0: one per core).
std::vector<Start> coarseStarts(const MatchContext& c, double nominal, int threads, bool mirrored, const ProgressSpan& progress) {
  const Overviews o = searchOverviews(c, nominal, kCoarseSize, mirrored);
  CoarseOptions co;
  co.threads = threads;
  if (nominal > 0) co.minScale = 0.8, co.maxScale = 1.25;  // the pixel sizes are known: a narrow search
  auto found = coarseAlign(o.ref, o.refScale, o.sen, o.senScale, co, progress);
  std::vector<Start> out;
  for (size_t k = 0; k < found.size(); ++k) {
    auto& a = found[k];
    const std::string name = hypothesisName("coarse", mirrored, k, found.size());
    CPLDebug("MMREG", "%s: rotation %.1f deg, scale %.3f, correlation %.3f, z %.1f, %d parts agree", name.c_str(), a.rotationDeg,
             a.scale, a.ncc, a.score, a.agreeingParts);
    if (mirrored) unmirror(a, o.sen.width * o.senScale, o.sen.height * o.senScale);
    out.push_back(startFrom(c, a, o.refScale, std::pow(2.0, 1.0 / co.scaleStepsPerOctave) - 1, co.angleStepDeg, name));
  }
  return out;
}

// Keypoint hypotheses, for when no correlation hypothesis verified (nominal as above).
std::vector<Start> featureStarts(const MatchContext& c, double nominal, bool mirrored, const ProgressSpan& progress) {
  progress.update(0, "keypoint hypotheses");
  const Overviews o = searchOverviews(c, nominal, kFeatureSize, mirrored);
  FeatureHypothesisOptions fo;
  if (nominal > 0) fo.minScale = 0.8, fo.maxScale = 1.25;
  auto found = featureHypotheses(o.ref, o.refScale, o.sen, o.senScale, fo);
  progress.update(1, "keypoint hypotheses");
  if (found.empty())
    throw Error("no match between keypoints of the two images was supported by " + std::to_string(fo.minAgreeing) +
                " others; check that they show the same area, or georeference the sensed image roughly");
  std::vector<Start> out;
  for (size_t k = 0; k < found.size(); ++k) {
    auto& a = found[k];
    const std::string name = hypothesisName("keypoint", mirrored, k, found.size());
    CPLDebug("MMREG", "%s: rotation %.1f deg, scale %.3f, %d matches agree", name.c_str(), a.rotationDeg, a.scale, a.agreeingParts);
    if (mirrored) unmirror(a, o.sen.width * o.senScale, o.sen.height * o.senScale);
    out.push_back(startFrom(c, a, o.refScale, kKeypointScaleSlack, kKeypointRotationSlackDeg, name));
  }
  return out;
}

// When a coarse hypothesis won over a georeferencing the sensed raster has, how far that
// georeferencing is from the registered position, as a warning once it is beyond what the
// georeferenced start searched (the analyst should fix the file, not trust it elsewhere).
std::optional<std::string> georeferencingDisagreement(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt,
                                                      const FitResult& fit) {
  const Point2 centre{sen.width() / 2.0, sen.height() / 2.0};
  const Point2 registered = fit.forward->apply(centre);
  std::vector<Point2> byGeoref{centre};
  try {
    georefMapping(ref, sen, opt)->sensedToRef(byGeoref);
  } catch (const Error&) {
    byGeoref[0] = {NAN, NAN};
  }
  const double px = std::hypot(byGeoref[0].x - registered.x, byGeoref[0].y - registered.y);
  const double searched = georefReachPx(ref, opt);
  if (px <= searched) return std::nullopt;
  const std::string what = "the sensed raster '" + sen.path() + "' carries georeferencing that ";
  const std::string advice = "; the result comes from the coarse pass, which aligned the image content instead. Fix the "
                             "georeferencing of the file (CRS, coordinates) before using it elsewhere";
  if (!std::isfinite(px)) return what + "cannot be evaluated at the registered position" + advice;
  char buf[160];
  const double km = px * groundPixelSizeMetres(ref) / 1000;
  if (std::isfinite(km)) std::snprintf(buf, sizeof buf, "is off by %.1f km (%.0f reference pixels) at the image centre", km, px);
  else std::snprintf(buf, sizeof buf, "is off by %.0f reference pixels at the image centre", px);
  return what + buf + advice;
}

// Where a region has room for fewer of the verdict's independent windows than a verification
// needs, no model can be verified there. Say so before matching, rather than fail later with
// advice that cannot help. `what` names the region, `remedy` what to do.
void checkVerifiable(int width, int height, const std::string& what, const std::string& remedy, const VerifyOptions& verifyOpt) {
  const int room = confirmationWindowsAtMost(width, height);
  const int need = fewestWindowsToVerify(VerdictThresholds{}.verifyPValue);
  if (room >= need || verifyOpt.keepDoubtful) return;
  throw Error(what + " only " + std::to_string(width) + " x " + std::to_string(height) + " reference pixels: room for " +
              std::to_string(room) + " of the verdict's independent windows (48 px at least), and verifying any model needs " +
              std::to_string(need) + "; " + remedy + ", or -keep_doubtful to write a result that cannot be verified");
}

// Any overlap lies inside the reference's valid data, and a processing pixel is at least a
// reference pixel.
void checkReferenceVerifiable(const MatchContext& c, const VerifyOptions& verifyOpt) {
  checkVerifiable(c.refData.width, c.refData.height, "the reference '" + c.ref.path() + "' has valid data over",
                  "use a larger reference", verifyOpt);
}

// Under a start, the overlap lies inside the sensed footprint, which a model the verdict finds
// plausible makes at most maxScaleChange larger, and inside the reference's valid data.
void checkSensedVerifiable(const MatchContext& c, const PixelMapping& start, const VerifyOptions& verifyOpt) {
  const PixelWindow f = sensedFootprint(c, start);
  const double grow = 1 + verifyOpt.maxScaleChange;
  checkVerifiable(std::min(c.refData.width, static_cast<int>(f.width * grow)),
                  std::min(c.refData.height, static_cast<int>(f.height * grow)),
                  "the sensed image '" + c.sen.path() + "' covers, with its valid data,", "use a larger sensed image", verifyOpt);
}

Registration registerInContext(const MatchContext& c, const FitOptions& fitOpt, const VerifyOptions& verifyOpt,
                               const ProgressSpan& progress) {
  const GeoRaster &ref = c.ref, &sen = c.sen;
  const MatchOptions& opt = c.opt;
  checkReferenceVerifiable(c, verifyOpt);
  const bool senGeoref = sen.georefKind() != GeorefKind::None;
  // RPCs are in longitude/latitude by definition.
  const bool refCrs = !ref.crsWkt().empty(),
             senCrs = !sen.crsWkt().empty() || !opt.sensedSrs.empty() || sen.georefKind() == GeorefKind::Rpc;
  std::vector<Start> starts;
  std::vector<std::string> tried;  // each start's outcome, for the report
  if (senGeoref && opt.coarse != CoarseMode::Always) {
    if (refCrs && !senCrs)
      throw Error("the reference has a CRS but the sensed raster '" + sen.path() +
                  "' has none; say which CRS its coordinates are in with -s_srs (e.g. -s_srs EPSG:32633), "
                  "or ignore its georeferencing with -coarse always");
    if (!refCrs && senCrs)
      throw Error("the sensed raster has a CRS but the reference '" + ref.path() +
                  "' has none; assign the reference's CRS first (gdal_edit.py -a_srs EPSG:n)");
    try {
      auto m = georefMapping(ref, sen, opt);
      // The geometry prior is the camera's, at one height: through a DEM the local derivative
      // carries the terrain's slopes, which no planar model is meant to reproduce.
      MatchOptions flat = opt;
      flat.dem.clear();
      const LinearPrior prior = priorOf(opt.dem.empty() ? *m : *georefMapping(ref, sen, flat), {ref.width() / 2.0, ref.height() / 2.0},
                                        "georeferencing");
      starts.push_back({std::move(m), prior, "georeferencing"});
    } catch (const Error& e) {
      // Georeferencing GDAL cannot use is one failed start: -coarse auto goes on to the content.
      if (opt.coarse == CoarseMode::Never) throw;
      tried.push_back(std::string("georeferencing: ") + e.what());
    }
  } else if (!senGeoref && opt.coarse == CoarseMode::Never) {
    throw Error("the sensed raster '" + sen.path() +
                "' has no georeferencing and -coarse never was given; allow the coarse pass (-coarse auto)");
  }
  // The pixel sizes, when the sensed raster carries them, bound the coarse pass's scale.
  double nominal = 0;
  if (senGeoref) {
    try {
      const Point2 centre{ref.width() / 2.0, ref.height() / 2.0};
      nominal = sensedPixelsPerRefPixel(starts.empty() ? *georefMapping(ref, sen, opt) : *starts[0].mapping, centre);
    } catch (const Error&) {
      nominal = 0;  // georeferencing GDAL cannot evaluate here: search scales from 0.5 to 2
    }
  }

  std::vector<StageTime> searchStages;
  std::optional<Registration> best;
  bool bestMirrored = false;
  // The content searches, in turn, once every earlier start is spent and none verified: the
  // correlation search, keypoint hypotheses, then both again on the sensed image mirrored.
  struct Search {
    bool keypoints, mirrored;
    const char* name;   // for the report's list of starts tried
    const char* stage;  // for its times
  };
  static constexpr Search kSearches[] = {{false, false, "coarse alignment", "coarse"},
                                         {true, false, "keypoint hypotheses", "keypoint hypotheses"},
                                         {false, true, "mirrored coarse alignment", "mirrored coarse"},
                                         {true, true, "mirrored keypoint hypotheses", "mirrored keypoint hypotheses"}};
  size_t searchesRun = 0;
  double done = 0;  // share of the progress used so far
  for (size_t k = 0;; ++k) {
    while (k == starts.size()) {
      const bool wanted = searchesRun < std::size(kSearches) && (searchesRun > 0 || starts.empty() || opt.coarse == CoarseMode::Auto);
      const bool verifiedOne = best && best->verdict.level == VerdictLevel::Verified;
      if (!wanted || opt.coarse == CoarseMode::Never || verifiedOne) break;
      const Search& search = kSearches[searchesRun++];
      const auto t0 = Clock::now();
      const double share = searchesRun > 1 ? 0.1 * (1 - done) : 0.15;  // of the progress bar
      try {
        const ProgressSpan p = progress.sub(done, done + share);
        auto more = search.keypoints ? featureStarts(c, nominal, search.mirrored, p)
                                     : coarseStarts(c, nominal, opt.threads, search.mirrored, p);
        // A last resort: only each mirrored search's most credible hypothesis is tried, which
        // bounds what a pair that no start verifies pays for them (their first hypothesis is the
        // right one on most pairs, docs/benchmarks/HYPOTHESES.md).
        if (search.mirrored && more.size() > 1) more.resize(1);
        for (auto& s : more) s.mirrored = search.mirrored, starts.push_back(std::move(s));
      } catch (const Cancelled&) {
        throw;
      } catch (const Error& e) {
        tried.push_back(std::string(search.name) + ": " + e.what());
      }
      searchStages.push_back({search.stage, since(t0)});
      done += share;
    }
    if (k == starts.size()) break;
    const double span = (1 - done) / 2;  // each later start gets half of what is left
    const ProgressSpan p = progress.sub(done, done + span);
    done += span;
    Registration r;
    try {
      checkSensedVerifiable(c, *starts[k].mapping, verifyOpt);
      r.match = matchFrom(c, *starts[k].mapping, fitOpt, starts[k].reachPx, p.sub(0, 0.85));
      const auto t0 = Clock::now();
      FitOptions finalFit = fitOpt;
      finalFit.checkBlockPx = r.match.templateSizePx;  // check points lie apart from the fitted ones
      finalFit.extent = r.match.overlap;
      // Tie points are measured on the processing grid: where one processing pixel spans many
      // reference pixels (oversampled or much finer reference imagery), no fit can be held to less.
      finalFit.inlierThreshold = std::max(fitOpt.inlierThreshold, r.match.processingScale);
      finalFit.plausible = [&](const Transform2D& forward, const Transform2D& inverse) {
        return checkGeometry(forward, inverse, starts[k].prior, r.match.overlap, verifyOpt).plausible;
      };
      r.fit = fitGlobalModel(r.match.tiePoints, finalFit);
      r.match.stages.push_back({"global fit", since(t0)});
      const auto t1 = Clock::now();
      const TileReader reader(ref, c.refBands, sen, c.senBands, r.match.processingScale, c.decoded);
      r.verdict = verifyModel(r.match.tiePoints, r.fit,
                              {reader, r.match.processingScale, r.match.overlap, starts[k].prior, finalFit.inlierThreshold, opt.threads},
                              verifyOpt, p.sub(0.85, 1));
      r.match.stages.push_back({"verdict", since(t1)});
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      tried.push_back(starts[k].name + ": " + e.what());
      continue;
    }
    r.verdict.hypothesis = starts[k].name;
    if (r.fit.forward) {
      const Point2 centre = r.fit.forward->apply({sen.width() / 2.0, sen.height() / 2.0});
      CPLDebug("MMREG", "%s: %s model from %d inliers of %zu, sensed centre at reference (%.1f, %.1f), %d of %d windows confirm (%s)",
               starts[k].name.c_str(), modelName(r.fit.forward->type()), r.fit.inlierCount, r.match.tiePoints.size(), centre.x,
               centre.y, r.verdict.confirmation.confirmed, r.verdict.confirmation.windows, r.verdict.confirmation.features.c_str());
    }
    r.match.coarseUsed = starts[k].name != "georeferencing";
    const bool verified = r.verdict.level == VerdictLevel::Verified;
    const auto& cc = r.verdict.confirmation;
    tried.push_back(starts[k].name + ": " +
                    (verified ? "verified by " + std::to_string(cc.confirmed) + " of " + std::to_string(cc.windows) + " windows" +
                                    (cc.features == "regional" ? " on regionally normalised features" : "")
                              : r.verdict.summary()));
    // Most windows confirm a model right over the whole overlap (where the features work); one
    // that fewer confirm may be right over only part of it, a repeated or pasted region, so the
    // hypotheses already proposed are tried too and the best confirmed kept. No new search runs.
    const bool strong = 2 * cc.confirmed >= cc.windows;
    // A refused mirrored start never stands for the refusal in place of an unmirrored one (nor
    // is it what -keep_doubtful writes): the image is mirrored only if a mirrored start verifies.
    if (!best || (strongerVerdict(r.verdict, best->verdict, VerdictThresholds{}) && (verified || !starts[k].mirrored || bestMirrored))) {
      best = std::move(r);
      bestMirrored = starts[k].mirrored;
    }
    if (verified && strong) break;
  }
  // Advice about the search itself: only where a pass that was not run could help (under
  // -coarse auto the coarse pass has run by now, so suggesting it would only fail again).
  const std::string searchAdvice = searchesRun == 0 && opt.coarse == CoarseMode::Never
                                       ? "the coarse pass, which aligns by image content and ignores the georeferencing, "
                                         "was not run (-coarse never): allow it with -coarse auto"
                                       : "";
  if (!best) {
    std::string msg = tried.empty() ? "nothing to start the search from" : tried[0];
    if (tried.size() > 1) msg += ". Also tried (" + std::to_string(tried.size() - 1) + "):";
    for (size_t i = 1; i < tried.size(); ++i) msg += (i > 1 ? "; " : " ") + tried[i];
    if (!searchAdvice.empty()) msg += ". Also: " + searchAdvice;
    throw Error(msg);
  }
  if (best->verdict.level != VerdictLevel::Verified && !searchAdvice.empty())
    best->verdict.advice += (best->verdict.advice.empty() ? "" : "; ") + searchAdvice;
  best->match.stages.insert(best->match.stages.begin(), searchStages.begin(), searchStages.end());
  for (size_t i = 0; i < best->match.tiePoints.size(); ++i)
    if (best->fit.inlier[i])
      for (auto& t : best->match.tiles)
        if (t.pass == best->match.finalPass && t.index == best->match.tiePoints[i].tile) ++t.inliers;
  for (const auto& f : tried)  // the analyst sees every start that was tried
    if (f.rfind(best->verdict.hypothesis + ":", 0) != 0) best->verdict.otherStarts.push_back(f);
  if (best->match.coarseUsed && senGeoref)
    if (auto w = georeferencingDisagreement(ref, sen, opt, best->fit)) best->warnings.push_back(*w);
  return std::move(*best);
}

}  // namespace

Registration registerRasters(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt, const FitOptions& fitOpt,
                             const VerifyOptions& verifyOpt, const ProgressSpan& progress) {
  checkReference(ref);
  const MatchContext c = makeMatchContext(ref, sen, opt);
  // What the inputs suggest goes where the analyst reads it: the warnings of a verified result,
  // the advice of a refused one, the message of a failure.
  std::string advice;
  for (const auto& a : c.inputAdvice) advice += (advice.empty() ? "" : "; ") + a;
  try {
    Registration r = registerInContext(c, fitOpt, verifyOpt, progress);
    if (r.verdict.level == VerdictLevel::Verified) r.warnings.insert(r.warnings.end(), c.inputAdvice.begin(), c.inputAdvice.end());
    else if (!advice.empty()) r.verdict.advice += (r.verdict.advice.empty() ? "" : "; ") + advice;
    return r;
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    if (advice.empty()) throw;
    throw Error(std::string(e.what()) + ". Also: " + advice);
  }
}

Verdict verifyGivenTiePoints(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt, const FitOptions& fitOpt,
                             const VerifyOptions& verifyOpt, const std::vector<TiePoint>& points, const FitResult& fit,
                             const ProgressSpan& progress) {
  const MatchContext c = makeMatchContext(ref, sen, opt);
  const auto model = modelMapping(*fit.forward, *fit.inverse);
  const PixelWindow overlap = overlapWindow(c, *model);
  const double scale = processingScale(*model, overlap);
  const Point2 centre{overlap.x + overlap.width / 2.0, overlap.y + overlap.height / 2.0};
  std::optional<LinearPrior> georef;
  if (sen.georefKind() != GeorefKind::None) {
    try {
      georef = priorOf(*georefMapping(ref, sen, opt), centre, "georeferencing");
    } catch (const Error&) {
      // Georeferencing GDAL cannot relate to the reference (no CRS, say): none to judge against.
    }
  }
  LinearPrior prior;
  if (georef) {
    prior = *georef;
  } else {
    // The model's own closest similarity: its rotation and scale pass, its anisotropy is judged.
    const LinearPrior own = priorOf(*model, centre, "");
    prior.source = "tie points' own similarity";
    prior.a = prior.d = 0.5 * (own.a + own.d);
    prior.c = 0.5 * (own.c - own.b), prior.b = -prior.c;
  }
  const TileReader reader(ref, c.refBands, sen, c.senBands, scale);
  Verdict v = verifyModel(points, fit, {reader, scale, overlap, prior, fitOpt.inlierThreshold, opt.threads}, verifyOpt, progress);
  v.hypothesis = "given tie points";
  return v;
}

}  // namespace mmreg
