#include "mmreg/global_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <opencv2/calib3d.hpp>
#include <random>

#include "estimation/extrapolation.h"
#include "mmreg/error.h"

namespace mmreg {
namespace {

using Points = std::vector<Point2>;

std::vector<cv::Point2f> toCv(const Points& p) {
  std::vector<cv::Point2f> out;
  for (auto& q : p) out.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
  return out;
}

double residual(const Transform2D& m, Point2 from, Point2 to) {
  const Point2 p = m.apply(from);
  return std::hypot(p.x - to.x, p.y - to.y);
}

// Translation has no OpenCV estimator: a one-point consensus loop over every candidate.
std::vector<std::uint8_t> translationConsensus(const Points& from, const Points& to, double thr) {
  std::vector<std::uint8_t> best(from.size(), 0);
  size_t bestCount = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const double dx = to[i].x - from[i].x, dy = to[i].y - from[i].y;
    std::vector<std::uint8_t> in(from.size());
    size_t c = 0;
    for (size_t j = 0; j < from.size(); ++j)
      c += in[j] = std::hypot(to[j].x - from[j].x - dx, to[j].y - from[j].y - dy) < thr;
    if (c > bestCount) bestCount = c, best = in;
  }
  return best;
}

// Robust first classification: MAGSAC++ (OpenCV USAC) for affine and projective, OpenCV's
// RANSAC for similarity, our loop for translation. Higher-order models start from an affine gate.
std::vector<std::uint8_t> robustInliers(ModelType t, const Points& from, const Points& to, double thr, unsigned seed) {
  if (t == ModelType::Translation) return translationConsensus(from, to, thr);
  const auto f = toCv(from), g = toCv(to);
  std::vector<std::uint8_t> mask;
  if (t == ModelType::Similarity) {
    cv::estimateAffinePartial2D(f, g, mask, cv::RANSAC, thr, 5000, 0.999, 10);
  } else if (t == ModelType::Projective && from.size() >= 4) {
    cv::findHomography(f, g, cv::USAC_MAGSAC, thr, mask, 5000, 0.999);
  } else {
    cv::UsacParams p;
    p.threshold = t == ModelType::Affine ? thr : 2 * thr;  // looser gate for models that bend
    p.confidence = 0.999;
    p.maxIterations = 5000;
    p.score = cv::SCORE_METHOD_MAGSAC;
    p.loMethod = cv::LOCAL_OPTIM_SIGMA;
    p.sampler = cv::SAMPLING_UNIFORM;
    p.randomGeneratorState = static_cast<int>(seed);
    cv::estimateAffine2D(f, g, mask, p);
  }
  if (mask.size() != from.size()) mask.assign(from.size(), 0);
  return mask;
}

size_t count(const std::vector<std::uint8_t>& m) { return std::accumulate(m.begin(), m.end(), size_t{0}); }

// Points needed for a trustworthy fit, more than the minimal sample.
size_t neededForFit(ModelType t) { return static_cast<size_t>(std::max(2 * minimalSampleSize(t) + 1, 3)); }

void select(const Points& p, const std::vector<size_t>& idx, Points& out) {
  out.clear();
  for (auto i : idx) out.push_back(p[i]);
}

// Least squares on the inliers, then re-classify all points against the refit; a few rounds.
std::vector<std::uint8_t> refineInliers(ModelType t, const Points& from, const Points& to,
                                        std::vector<std::uint8_t> in, double thr) {
  for (int round = 0; round < 4; ++round) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i]) idx.push_back(i);
    if (idx.size() < neededForFit(t)) return in;
    Points f, g;
    select(from, idx, f);
    select(to, idx, g);
    const auto m = fitTransform(t, f, g);
    std::vector<std::uint8_t> next(from.size());
    for (size_t i = 0; i < from.size(); ++i) next[i] = residual(*m, from[i], to[i]) < thr;
    if (next == in || count(next) < neededForFit(t)) return in;
    in = next;
  }
  return in;
}

double crossValidatedRmse(ModelType t, const Points& from, const Points& to, unsigned seed) {
  const size_t n = from.size(), folds = std::min<size_t>(5, n);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  double se = 0;
  size_t used = 0;
  for (size_t k = 0; k < folds; ++k) {
    Points f, g, tf, tg;
    for (size_t i = 0; i < n; ++i) {
      const size_t j = order[i];
      (i % folds == k ? tf : f).push_back(from[j]);
      (i % folds == k ? tg : g).push_back(to[j]);
    }
    if (f.size() < static_cast<size_t>(minimalSampleSize(t))) return std::numeric_limits<double>::infinity();
    std::unique_ptr<Transform2D> m;
    try {
      m = fitTransform(t, f, g);
    } catch (const Error&) {
      return std::numeric_limits<double>::infinity();
    }
    for (size_t i = 0; i < tf.size(); ++i) {
      const double r = residual(*m, tf[i], tg[i]);
      se += r * r;
      ++used;
    }
  }
  return used ? std::sqrt(se / used) : std::numeric_limits<double>::infinity();
}

int parameterCount(ModelType t) { return 2 * minimalSampleSize(t); }

PixelWindow boundingBox(const Points& p) {
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (const auto& q : p) x0 = std::min(x0, q.x), y0 = std::min(y0, q.y), x1 = std::max(x1, q.x), y1 = std::max(y1, q.y);
  return {static_cast<int>(std::floor(x0)), static_cast<int>(std::floor(y0)), static_cast<int>(std::ceil(x1 - x0)) + 1,
          static_cast<int>(std::ceil(y1 - y0)) + 1};
}

// Check points among the inliers `inIdx`: about `target` of them, never more than `most`. With
// blocks, whole square blocks of the reference grid are held out in a seeded order, so a check
// point's neighbours are not fitted either and its error measures the model away from the fit.
std::vector<std::uint8_t> drawCheckPoints(const std::vector<TiePoint>& points, std::vector<size_t> inIdx, size_t target,
                                          size_t most, double block, unsigned seed) {
  std::vector<std::uint8_t> check(points.size(), 0);
  std::mt19937 rng(seed);
  if (block <= 0) {
    std::shuffle(inIdx.begin(), inIdx.end(), rng);
    for (size_t k = 0; k < target; ++k) check[inIdx[k]] = 1;
    return check;
  }
  std::map<std::pair<long, long>, std::vector<size_t>> blocks;
  for (size_t i : inIdx)
    blocks[{static_cast<long>(std::floor(points[i].ref.x / block)), static_cast<long>(std::floor(points[i].ref.y / block))}].push_back(i);
  std::vector<const std::vector<size_t>*> order;
  for (const auto& [key, members] : blocks) order.push_back(&members);
  std::shuffle(order.begin(), order.end(), rng);
  size_t taken = 0;
  for (const auto* members : order) {
    if (taken >= target) break;
    if (taken + members->size() > most || members->size() > 2 * (target - taken) + 1) continue;  // a block far too big for what is left
    for (size_t i : *members) check[i] = 1;
    taken += members->size();
  }
  return check;
}

}  // namespace

size_t tiePointsNeeded(ModelType model) { return neededForFit(model == ModelType::Auto ? ModelType::Affine : model); }

FitResult fitGlobalModel(const std::vector<TiePoint>& points, const FitOptions& opt) {
  Points from, to;  // sensed -> reference
  for (auto& p : points) from.push_back(p.sensed), to.push_back(p.ref);
  const ModelType gateModel = opt.model == ModelType::Auto ? ModelType::Affine : opt.model;
  const size_t need = tiePointsNeeded(opt.model);
  if (points.size() < need)
    throw Error("too few tie points for the " + std::string(modelName(gateModel)) + " model: " +
                std::to_string(points.size()) + " candidate matches, at least " + std::to_string(need) +
                " needed; check that the images overlap, or raise -max_tiles or -margin");

  FitResult r;
  r.inlier = robustInliers(gateModel, from, to, opt.inlierThreshold, opt.seed);
  r.inlier = refineInliers(gateModel == ModelType::Tps ? ModelType::Affine : gateModel, from, to, r.inlier,
                           opt.inlierThreshold * (gateModel == ModelType::Tps ? 2 : 1));
  const size_t nIn = count(r.inlier);
  if (nIn < need)
    throw Error("too few tie points for the " + std::string(modelName(gateModel)) + " model: " + std::to_string(nIn) +
                " inliers among " + std::to_string(points.size()) + " candidate matches, at least " +
                std::to_string(need) + " needed; try a simpler model, a larger -margin, or check the inputs overlap");

  // Hold out check points: a seeded draw, never fitted.
  std::vector<size_t> inIdx;
  for (size_t i = 0; i < points.size(); ++i)
    if (r.inlier[i]) inIdx.push_back(i);
  const size_t target = std::min(static_cast<size_t>(std::round(opt.checkShare * nIn)), nIn - need);
  r.check = drawCheckPoints(points, inIdx, target, nIn - need, opt.checkBlockPx, opt.seed);
  std::vector<size_t> fitIdx;
  for (size_t i : inIdx)
    if (!r.check[i]) fitIdx.push_back(i);
  const size_t nCheck = inIdx.size() - fitIdx.size();
  Points ff, ft;
  select(from, fitIdx, ff);
  select(to, fitIdx, ft);

  ModelType chosen = opt.model;
  if (chosen == ModelType::Auto) {
    PixelWindow extent = opt.extent;
    if (extent.width <= 0 || extent.height <= 0) extent = boundingBox(ft);
    // Fewest parameters whose cross-validated error is within 5% (or 0.05 px) of the best
    // (plausible) one.
    double best = std::numeric_limits<double>::infinity();
    // Enough inliers, but a predicted error beyond the threshold away from them: (candidate, error).
    std::vector<std::pair<ModelCandidate, double>> unsupported;
    for (auto t : {ModelType::Translation, ModelType::Similarity, ModelType::Affine, ModelType::Projective,
                   ModelType::Poly2, ModelType::Poly3}) {
      // A candidate needs the inliers the verdict asks of it (translation always competes),
      // and cross-validation a few points beyond the parameter count.
      if (t != ModelType::Translation && (nIn < static_cast<size_t>(minimumInliers(t)) ||
                                          ff.size() < static_cast<size_t>(parameterCount(t) + 3)))
        continue;
      const double cv = crossValidatedRmse(t, ff, ft, opt.seed);
      // A model that bends where it has no points is no candidate either.
      const double away = t == ModelType::Translation ? 0 : predictedErrorOver(ft, t, cv, extent);
      if (away > opt.inlierThreshold) {
        unsupported.push_back({{t, cv}, away});
        continue;
      }
      r.candidates.push_back({t, cv});
      best = std::min(best, cv);
    }
    // None plausible: the choice stands as it would, and the verdict says why it fails.
    bool anyPlausible = !opt.plausible;
    if (opt.plausible) {
      double bestPlausible = std::numeric_limits<double>::infinity();
      const auto judge = [&](ModelCandidate& c) {
        c.plausible = opt.plausible(*fitTransform(c.type, ff, ft), *fitTransform(c.type, ft, ff));
        return c.plausible;
      };
      for (auto& c : r.candidates)
        if (judge(c)) bestPlausible = std::min(bestPlausible, c.cvRmse), anyPlausible = true;
      // A rotated or scaled start makes a translation implausible: then the plausible richer
      // model predicted to stray least away from the points (the fewest parameters within 5 %)
      // is the better guess. The verdict's support check judges that error; a translation
      // would fail outright.
      if (!anyPlausible) {
        double least = std::numeric_limits<double>::infinity();
        for (auto& [c, away] : unsupported)
          if (judge(c)) least = std::min(least, away);
        for (const auto& [c, away] : unsupported)
          if (c.plausible && away <= least * 1.05 + 0.05) {
            r.candidates.push_back(c);
            bestPlausible = c.cvRmse, anyPlausible = true;
            break;
          }
      }
      if (anyPlausible) best = bestPlausible;
    }
    chosen = ModelType::Translation;
    for (auto& c : r.candidates)
      if ((c.plausible || !anyPlausible) && c.cvRmse <= best * 1.05 + 0.05) {
        chosen = c.type;
        break;
      }
  }
  r.forward = fitTransform(chosen, ff, ft);
  r.inverse = fitTransform(chosen, ft, ff);

  double seFit = 0, seCheck = 0;
  r.residual.resize(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const Point2 p = r.forward->apply(from[i]);
    r.residual[i] = {p.x - to[i].x, p.y - to[i].y};
    const double e2 = r.residual[i].x * r.residual[i].x + r.residual[i].y * r.residual[i].y;
    if (r.check[i]) seCheck += e2;
    else if (r.inlier[i]) seFit += e2;
  }
  r.inlierCount = static_cast<int>(nIn);
  r.checkCount = static_cast<int>(nCheck);
  r.rmseFit = std::sqrt(seFit / fitIdx.size());
  r.rmseCheck = nCheck ? std::sqrt(seCheck / nCheck) : std::numeric_limits<double>::quiet_NaN();
  return r;
}

FitResult fitRichestSupported(const std::vector<TiePoint>& points, FitOptions options) {
  std::vector<ModelType> models;
  if (points.size() >= 12) models.push_back(ModelType::Affine);
  if (points.size() >= 6) models.push_back(ModelType::Similarity);
  models.push_back(ModelType::Translation);
  std::optional<Error> richest;
  for (const ModelType m : models) {
    options.model = m;
    try {
      return fitGlobalModel(points, options);
    } catch (const Error& e) {
      if (!richest) richest = e;
    }
  }
  throw *richest;
}

}  // namespace mmreg
