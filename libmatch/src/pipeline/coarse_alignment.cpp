#include "pipeline/coarse_alignment.h"

#include <cpl_error.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/fft_ncc.h"
#include "features/structural_features.h"
#include "mmreg/error.h"
#include "parallel_items.h"

namespace mmreg {
namespace {

struct Candidate {
  double angle = 0, scale = 1, ncc = -1;
  double score = -INFINITY;  // the peak in standard deviations of its correlation map: comparable across template sizes
  cv::Point2d shift;  // template origin in reference overview pixel indices
  size_t level = 0;   // the scale level whose search found it
  size_t representation = 0;  // the feature normalisation whose search found it
  int agreeing = -1;  // parts of the template that put themselves where the whole does
  bool strongest = false;  // its search's strongest peak
};

// One template per scale: the disc of valid sensed pixels, which stays valid at any rotation,
// so one mask (and one set of reference window energies) serves every angle. A disc holds
// pi/2 times the pixels of the square inscribed in it, and the square was further held to a
// third of the image. The reference features are padded by a quarter template: further out,
// the zero padding itself would correlate.
struct ScaleLevel {
  double scale;
  int size, pad;
  cv::Mat disc;  // CV_8U size x size: the template's pixels that count
  int discArea = 0;
  std::vector<std::shared_ptr<const FftNccSearch>> searches;  // one per representation (shared: growing the vector copies levels)
};

// One normalisation of the features, and the reference's features under it.
struct Representation {
  StructuralFeatureOptions features;
  std::vector<cv::Mat> refFeatures;
};

// The sensed overview rotated and scaled about `centre` (pixel indices) into a c x c template.
cv::Mat templateTransform(cv::Point2f centre, double angle, double scale, int c) {
  cv::Mat m = cv::getRotationMatrix2D(centre, angle, scale);
  m.at<double>(0, 2) += c / 2.0 - 0.5 - centre.x;
  m.at<double>(1, 2) += c / 2.0 - 0.5 - centre.y;
  return m;
}

// The centre of the largest disc of valid sensed pixels, and its radius: templates are cut
// there, so that rotated, shrunk or shifted inputs with no-data margins still give whole ones.
std::pair<cv::Point2f, float> validCentre(const Image& sen) {
  cv::Mat mask;
  cv::copyMakeBorder(validMask(sen), mask, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::Mat dist;
  cv::distanceTransform(mask, dist, cv::DIST_L2, 3);
  double radius;
  cv::Point at;
  cv::minMaxLoc(dist, nullptr, &radius, nullptr, &at);
  return {cv::Point2f(at.x - 1.f, at.y - 1.f), static_cast<float>(radius)};
}

// The sensed overview warped into a candidate's c x c template, with its validity mask.
void warpTemplate(const Image& sen, cv::Point2f centre, double angle, double scale, int c, cv::Mat& warped, cv::Mat& mask) {
  const cv::Mat m = templateTransform(centre, angle, scale, c);
  cv::warpAffine(asMat(sen), warped, m, {c, c}, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::warpAffine(validMask(sen), mask, m, {c, c}, cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
}

Candidate evaluate(const Image& sen, cv::Point2f centre, const std::vector<ScaleLevel>& levels, size_t index,
                   const std::vector<Representation>& reps, size_t r, double angle, double scale) {
  const ScaleLevel& level = levels[index];
  cv::Mat warped, mask;
  warpTemplate(sen, centre, angle, scale, level.size, warped, mask);
  Candidate out{angle, scale, -1, -INFINITY, {}, index, r};
  // Masked pixels have zero features, which would correlate with masked or padded reference.
  if (cv::countNonZero(mask & level.disc) < 0.97 * level.discArea) return out;
  const auto feats = structuralFeatures(imageFromMat(warped, mask), reps[r].features);
  const cv::Mat ncc = level.searches[r]->ncc(feats);
  cv::Point p;
  cv::minMaxLoc(ncc, nullptr, &out.ncc, nullptr, &p);
  cv::Scalar mean, sd;
  cv::meanStdDev(ncc, mean, sd);
  out.score = sd[0] > 0 ? (out.ncc - mean[0]) / sd[0] : -INFINITY;
  double dx = 0, dy = 0;
  if (p.x > 0 && p.x + 1 < ncc.cols) dx = parabolaPeak(ncc.at<double>(p.y, p.x - 1), out.ncc, ncc.at<double>(p.y, p.x + 1));
  if (p.y > 0 && p.y + 1 < ncc.rows) dy = parabolaPeak(ncc.at<double>(p.y - 1, p.x), out.ncc, ncc.at<double>(p.y + 1, p.x));
  out.shift = {p.x + dx - level.pad, p.y + dy - level.pad};
  return out;
}

// How many parts of a candidate's template agree with it. The template is cut into
// overlapping blocks of a third of its side, and each block is correlated on its own with the
// reference around where the candidate puts it. A chance peak of the whole template is made by
// a few strong parts; a true one is shared by most parts that hold structure.
int agreeingParts(const Representation& rep, const Image& sen, cv::Point2f centre, int c, const Candidate& cand) {
  const std::vector<cv::Mat>& refFeatures = rep.refFeatures;
  cv::Mat warped, mask;
  warpTemplate(sen, centre, cand.angle, cand.scale, c, warped, mask);
  const auto feats = structuralFeatures(imageFromMat(warped, mask), rep.features);
  const cv::Rect refRect(0, 0, refFeatures[0].cols, refFeatures[0].rows);
  const int b = std::max(16, c / 3);
  const int r = std::max(8, static_cast<int>(0.15 * c));  // search radius, overview pixels
  int agreeing = 0;
  for (int by = 0; by + b <= c; by += b / 2)
    for (int bx = 0; bx + b <= c; bx += b / 2) {
      const cv::Rect block(bx, by, b, b);
      if (cv::countNonZero(mask(block)) < 0.95 * b * b) continue;
      const cv::Point at(static_cast<int>(std::lround(cand.shift.x + bx)), static_cast<int>(std::lround(cand.shift.y + by)));
      const cv::Rect window = cv::Rect(at.x - r, at.y - r, b + 2 * r, b + 2 * r) & refRect;
      if (window.width < b + r || window.height < b + r) continue;
      std::vector<cv::Mat> blockFeatures, refWindow;
      for (const auto& f : feats) blockFeatures.push_back(f(block));
      for (const auto& f : refFeatures) refWindow.push_back(f(window));
      const cv::Mat ncc = multiChannelNcc(blockFeatures, refWindow);
      cv::Point p;
      double peak;
      cv::minMaxLoc(ncc, nullptr, &peak, nullptr, &p);
      if (peak <= 0) continue;  // a flat block or window
      // The candidate's rotation and scale are known to half a grid step (2.5 deg, 12 %), so
      // parts away from the centre may sit a few pixels off: the tolerance grows with it.
      const double fromCentre = std::hypot(bx + b / 2.0 - c / 2.0, by + b / 2.0 - c / 2.0);
      if (std::hypot(p.x + window.x - at.x, p.y + window.y - at.y) <= 2 + 0.08 * fromCentre) ++agreeing;
    }
  return agreeing;
}

// work(i) for i in [0, n) on the options' threads; the first item's error is rethrown.
void forEach(size_t n, int threads, const std::function<void(size_t)>& work, const std::function<void(size_t)>& onCaller) {
  for (const auto& e : forEachItem(n, threads, work, onCaller))
    if (e) std::rethrow_exception(e);
}

// The peaks to try, in order: most agreeing parts first (the stronger peak first among equals),
// and each search's strongest whole peak kept in any case (a template with structure in one
// part only can still be right). peaks: strongest first.
std::vector<Candidate> mostCredible(std::vector<Candidate> peaks, int keep) {
  std::stable_sort(peaks.begin(), peaks.end(), [](const Candidate& x, const Candidate& y) { return x.agreeing > y.agreeing; });
  int others = keep - static_cast<int>(std::count_if(peaks.begin(), peaks.end(), [](const Candidate& p) { return p.strongest; }));
  std::vector<Candidate> out;
  for (const auto& p : peaks)
    if (static_cast<int>(out.size()) < keep && (p.strongest || others-- > 0)) out.push_back(p);
  return out;
}

}  // namespace

std::vector<CoarseAlignment> coarseAlign(const Image& ref, double refScale, const Image& sen, double senScale,
                                         const CoarseOptions& opt, const ProgressSpan& progress) {
  // The template stays clearly smaller than the reference, so that its placements differ.
  const int cMax = static_cast<int>(0.6 * std::min(ref.width, ref.height));
  if (cMax < 24)
    throw Error("the reference is too small for the coarse alignment pass (template of " + std::to_string(cMax) +
                " px); give larger images or georeference the sensed image roughly");
  if (opt.normalisations.empty()) throw Error("the coarse alignment pass needs at least one feature normalisation");
  std::vector<Representation> reps(opt.normalisations.size());
  for (size_t r = 0; r < reps.size(); ++r) {
    reps[r].features.sigma = opt.featureSigma;
    reps[r].features.normalisation = opt.normalisations[r];
    reps[r].features.orientations = opt.orientations;
    reps[r].refFeatures = structuralFeatures(ref, reps[r].features);
  }
  // Named, not bound: lambdas below capture it (clang rejects captured structured bindings).
  const std::pair<cv::Point2f, float> valid = validCentre(sen);
  const cv::Point2f centre = valid.first;
  const float radius = valid.second;
  const int lo = static_cast<int>(std::floor(std::log2(opt.minScale) * opt.scaleStepsPerOctave + 1e-9));
  const int hi = static_cast<int>(std::ceil(std::log2(opt.maxScale) * opt.scaleStepsPerOctave - 1e-9));
  std::vector<ScaleLevel> levels;
  for (int i = lo; i <= hi; ++i) {
    ScaleLevel l;
    l.scale = std::pow(2.0, static_cast<double>(i) / opt.scaleStepsPerOctave);
    // The template's disc covers size / scale sensed pixels: inside the valid disc.
    l.size = std::min(cMax, static_cast<int>(2 * 0.97 * l.scale * radius));
    if (l.size < 24) continue;
    l.disc = cv::Mat::zeros(l.size, l.size, CV_8U);
    cv::circle(l.disc, {l.size / 2, l.size / 2}, l.size / 2, cv::Scalar(255), cv::FILLED);
    l.discArea = cv::countNonZero(l.disc);
    l.pad = l.size / 4;
    for (const auto& rep : reps) {
      std::vector<cv::Mat> padded;
      for (const auto& f : rep.refFeatures) {
        cv::Mat p;
        cv::copyMakeBorder(f, p, l.pad, l.pad, l.pad, l.pad, cv::BORDER_CONSTANT, 0);
        padded.push_back(p);
      }
      l.searches.push_back(std::make_shared<const FftNccSearch>(padded, l.disc));
    }
    levels.push_back(std::move(l));
  }
  if (levels.empty())
    throw Error("the sensed image is too small for the coarse alignment pass; give a larger image or georeference it roughly");
  const int nAngles = static_cast<int>(std::round(360.0 / opt.angleStepDeg));
  const size_t perRepresentation = nAngles * levels.size();
  std::vector<Candidate> cells(perRepresentation * reps.size());
  forEach(
      cells.size(), opt.threads,
      [&](size_t i) {
        const size_t r = i / perRepresentation, k = i % levels.size();
        const double angle = static_cast<double>(i % perRepresentation / levels.size()) * opt.angleStepDeg;
        cells[i] = evaluate(sen, centre, levels, k, reps, r, angle, levels[k].scale);
      },
      [&](size_t finished) { progress.update(0.7 * finished / cells.size(), "coarse alignment"); });
  std::sort(cells.begin(), cells.end(), [](const Candidate& x, const Candidate& y) { return x.score > y.score; });
  for (size_t r = 0; r < reps.size(); ++r)
    for (size_t k = 0; k < levels.size(); ++k)
      for (const auto& cc : cells)
        if (cc.level == k && cc.representation == r) {
          CPLDebug("MMREG", "coarse (features %zu): best at scale %.3f (template %d): rotation %.0f, correlation %.3f, z %.1f", r,
                   levels[k].scale, levels[k].size, cc.angle, cc.ncc, cc.score);
          break;
        }

  // Each search's distinct peaks, strongest first: a cell next to a stronger one (in rotation
  // and scale) is the same peak.
  const double sameScale = std::pow(2.0, 1.5 / opt.scaleStepsPerOctave);
  auto sameRotationAndScale = [&](const Candidate& x, const Candidate& y) {
    const double da = std::abs(std::remainder(x.angle - y.angle, 360.0));
    const double ds = std::max(x.scale / y.scale, y.scale / x.scale);
    return da <= 1.5 * opt.angleStepDeg && ds <= sameScale;
  };
  std::vector<Candidate> peaks;
  for (size_t r = 0; r < reps.size(); ++r) {
    const size_t first = peaks.size();
    for (const auto& cand : cells) {
      if (static_cast<int>(peaks.size() - first) >= opt.rankedPeaks) break;
      if (cand.representation != r || cand.ncc < opt.minNcc || cand.score < opt.minScore) continue;
      if (std::none_of(peaks.begin() + first, peaks.end(), [&](const Candidate& p) { return sameRotationAndScale(cand, p); }))
        peaks.push_back(cand);
    }
    if (peaks.size() > first) peaks[first].strongest = true;
  }
  forEach(
      peaks.size(), opt.threads,
      [&](size_t i) {
        peaks[i].agreeing = agreeingParts(reps[peaks[i].representation], sen, centre, levels[peaks[i].level].size, peaks[i]);
      },
      [&](size_t finished) { progress.update(0.7 + 0.1 * finished / peaks.size(), "coarse alignment"); });
  // A peak that another search found too, at the same place, is tried once: as the one with
  // more agreeing parts.
  auto templateCentre = [&](const Candidate& p) {
    const double half = levels[p.level].size / 2.0 - 0.5;
    return cv::Point2d(p.shift.x + half, p.shift.y + half);
  };
  std::vector<Candidate> distinct;
  for (const auto& p : peaks) {
    auto same = std::find_if(distinct.begin(), distinct.end(), [&](const Candidate& q) {
      return q.representation != p.representation && sameRotationAndScale(p, q) && cv::norm(templateCentre(p) - templateCentre(q)) <= 4;
    });
    if (same == distinct.end()) {
      distinct.push_back(p);
    } else {
      const bool strongest = p.strongest || same->strongest;
      if (p.agreeing > same->agreeing) *same = p;
      same->strongest = strongest;
    }
  }
  peaks = mostCredible(distinct, opt.maxHypotheses);
  if (peaks.empty()) {
    char why[200];
    std::snprintf(why, sizeof why,
                  "the strongest peak has correlation %.2f and stands %.1f standard deviations above its surroundings; a "
                  "credible one needs at least %.2f and %.1f",
                  cells.empty() ? 0.0 : cells[0].ncc, cells.empty() ? 0.0 : cells[0].score, opt.minNcc, opt.minScore);
    throw Error(std::string("the coarse alignment found no credible match between the images (") + why +
                "); check that they show the same area, or georeference the sensed image roughly");
  }

  std::vector<CoarseAlignment> out;
  const double sStep = std::pow(2.0, 1.0 / (3 * opt.scaleStepsPerOctave));
  for (size_t k = 0; k < peaks.size(); ++k) {
    progress.update(0.8 + 0.2 * k / peaks.size(), "coarse alignment");
    // Local refinement of angle and scale around the peak's cell.
    const Candidate start = peaks[k];
    std::vector<std::pair<double, double>> angleScale;
    for (double da = -opt.angleStepDeg / 2; da <= opt.angleStepDeg / 2 + 1e-9; da += 1.0)
      for (int i = -1; i <= 1; ++i) angleScale.emplace_back(start.angle + da, start.scale * std::pow(sStep, i));
    std::vector<Candidate> near(angleScale.size());
    forEach(
        near.size(), opt.threads,
        [&](size_t i) {
          near[i] = evaluate(sen, centre, levels, start.level, reps, start.representation, angleScale[i].first, angleScale[i].second);
        },
        [](size_t) {});
    Candidate best = start;
    for (const auto& cand : near)
      if (cand.score > best.score) best = cand;
    // Sensed overview pixel index p -> template index M p -> reference overview index M p + shift.
    const cv::Mat m = templateTransform(centre, best.angle, best.scale, levels[best.level].size);
    std::vector<Point2> from, to;
    for (auto corner : {cv::Point2d(0, 0), cv::Point2d(sen.width, 0), cv::Point2d(0, sen.height), cv::Point2d(sen.width, sen.height)}) {
      const cv::Point2d p = corner - cv::Point2d(0.5, 0.5);
      const cv::Point2d t(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2) + best.shift.x + 0.5,
                          m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2) + best.shift.y + 0.5);
      from.push_back({corner.x * senScale, corner.y * senScale});
      to.push_back({t.x * refScale, t.y * refScale});
    }
    CoarseAlignment a;
    a.forward = fitTransform(ModelType::Similarity, from, to);
    a.inverse = fitTransform(ModelType::Similarity, to, from);
    a.rotationDeg = best.angle;
    a.scale = best.scale;
    a.ncc = best.ncc;
    a.score = best.score;
    a.agreeingParts = peaks[k].agreeing;
    out.push_back(std::move(a));
  }
  progress.update(1.0, "coarse alignment");
  return out;
}

}  // namespace mmreg
