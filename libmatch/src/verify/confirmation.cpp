#include "verify/confirmation.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "estimation/extrapolation.h"
#include "features/corner_detector.h"
#include "features/fft_ncc.h"
#include "features/structural_features.h"
#include "parallel_items.h"

namespace mmreg {
namespace {

struct WindowResult {
  cv::Point2d centre;  // processing pixels
  cv::Mat ncc;         // (2M+1)^2, offset (dx, dy) at (M + dx, M + dy)
  cv::Point2d peak;    // its peak, as an offset from the model; infinite on the border
  double peakValue = 0;  // its correlation
  bool confirmed = false;
  double rank = 1;     // share of the surface correlating at least as well as the model's offset
};

// Bilinear sample of a correlation map at offset d from its centre; -1 outside.
double sampleAt(const cv::Mat& ncc, int m, cv::Point2d d) {
  const double x = m + d.x, y = m + d.y;
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= ncc.cols || y0 + 1 >= ncc.rows) return -1;
  const double fx = x - x0, fy = y - y0;
  return (1 - fy) * ((1 - fx) * ncc.at<double>(y0, x0) + fx * ncc.at<double>(y0, x0 + 1)) +
         fy * ((1 - fx) * ncc.at<double>(y0 + 1, x0) + fx * ncc.at<double>(y0 + 1, x0 + 1));
}

// Sub-pixel peak of a correlation map, as an offset from its centre.
cv::Point2d peakOffset(const cv::Mat& ncc, int m, double* value) {
  cv::Point p;
  cv::minMaxLoc(ncc, nullptr, value, nullptr, &p);
  double dx = 0, dy = 0;
  if (p.x > 0 && p.x + 1 < ncc.cols) dx = parabolaPeak(ncc.at<double>(p.y, p.x - 1), *value, ncc.at<double>(p.y, p.x + 1));
  if (p.y > 0 && p.y + 1 < ncc.rows) dy = parabolaPeak(ncc.at<double>(p.y - 1, p.x), *value, ncc.at<double>(p.y + 1, p.x));
  const bool border = p.x == 0 || p.y == 0 || p.x + 1 == ncc.cols || p.y + 1 == ncc.rows;
  return border ? cv::Point2d(INFINITY, INFINITY) : cv::Point2d(p.x - m + dx, p.y - m + dy);
}

// The share of a correlation surface at least as high as its centre (the model's offset): under
// an arbitrary wrong model the centre is an arbitrary offset, so this is uniform or larger (not
// under a fitted one, which the fit pulled towards the windows' peaks).
double rankOfCentre(const cv::Mat& ncc, int m) {
  const double atModel = ncc.at<double>(m, m);
  return static_cast<double>(cv::countNonZero(ncc >= atModel)) / ncc.total();
}

// The largest group of windows that miss the model but agree with each other: their peaks
// within `tolerance` of one of them, at least twice the tolerance from the model.
void findRival(const std::vector<WindowResult>& windows, double tolerance, ConfirmationCheck& out) {
  std::vector<cv::Point2d> misses;
  for (const auto& r : windows)
    if (!r.confirmed && r.peakValue > 0 && std::isfinite(r.peak.x) && std::hypot(r.peak.x, r.peak.y) >= 2 * tolerance) misses.push_back(r.peak);
  for (const auto& a : misses) {
    int n = 0;
    cv::Point2d sum(0, 0);
    for (const auto& b : misses)
      if (cv::norm(a - b) <= tolerance) ++n, sum += b;
    if (n > out.rivalWindows) out.rivalWindows = n, out.rivalOffset = {sum.x / n, sum.y / n};
  }
}

int windowSide(int width, int height, const ConfirmationOptions& opt) {
  return opt.window > 0 ? opt.window : std::clamp(std::min(width, height) / 4 / 2 * 2, 48, 96);
}

}  // namespace

double confirmationChance(const ConfirmationOptions& opt) {
  // A wrong model puts the peak anywhere inside the search border; rounding widens the target.
  return std::min(1.0, M_PI * std::pow(opt.tolerance + 0.5, 2) / std::pow(2.0 * opt.margin - 1, 2));
}

int confirmationWindowsAtMost(int width, int height, const ConfirmationOptions& opt) {
  const int w = windowSide(width, height, opt);
  return std::clamp(width / w, 1, opt.perSide) * std::clamp(height / w, 1, opt.perSide);
}

int fewestWindowsToVerify(double verifyPValue, const ConfirmationOptions& opt) {
  int n = 1;
  while (std::pow(confirmationChance(opt), n) > verifyPValue) ++n;
  return n;
}

double fisherCombined(const std::vector<double>& pValues) {
  if (pValues.empty()) return 1;
  double half = 0;  // half the chi-square statistic
  for (double p : pValues) half -= std::log(std::max(p, 1e-300));
  // The chi-square survival for even degrees of freedom 2n: exp(-h) * sum_{j<n} h^j / j!.
  double tail = 0;
  for (size_t j = 0; j < pValues.size(); ++j) tail += std::exp(-half + j * std::log(std::max(half, 1e-300)) - std::lgamma(j + 1.0));
  return std::min(1.0, tail);
}

double binomialTail(int k, int n, double p) {
  if (k <= 0) return 1;
  if (k > n) return 0;
  double tail = 0;
  for (int i = k; i <= n; ++i)
    tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) + i * std::log(p) +
                     (n - i) * std::log1p(-p));
  return std::min(1.0, tail);
}

ConfirmationCheck confirmModel(const TileReader& reader, const PixelMapping& model, const PixelWindow& o,
                               const ConfirmationOptions& opt, const ProgressSpan& progress) {
  const int m = opt.margin;
  const int w = windowSide(o.width, o.height, opt);
  ConfirmationCheck out;
  out.features = opt.features.normalisation == StructuralFeatureOptions::Normalisation::Regional ? "regional" : "per-pixel";
  out.windowSize = w, out.margin = m, out.tolerancePx = opt.tolerance;
  out.chance = confirmationChance(opt);
  const int nx = std::clamp(o.width / w, 1, opt.perSide), ny = std::clamp(o.height / w, 1, opt.perSide);
  const double cw = static_cast<double>(o.width) / nx, ch = static_cast<double>(o.height) / ny;
  // Each template stays inside its own cell, so no two windows share pixels.
  const int slackX = std::clamp(static_cast<int>(cw - w) / 2, 0, w / 2), slackY = std::clamp(static_cast<int>(ch - w) / 2, 0, w / 2);

  // One window per cell, each cell on whichever thread takes it; gathered in cell order.
  std::vector<std::optional<WindowResult>> cells(static_cast<size_t>(nx) * ny);
  const auto errors = forEachItem(
      cells.size(), opt.threads,
      [&](size_t k) {
        const int i = static_cast<int>(k) % nx, j = static_cast<int>(k) / nx;
        const int cx = static_cast<int>(o.x + (i + 0.5) * cw), cy = static_cast<int>(o.y + (j + 0.5) * ch);
        // The strongest corner near the cell centre places the window, so it holds structure.
        const PixelWindow region{cx - slackX - w / 2, cy - slackY - w / 2, w + 2 * slackX, w + 2 * slackY};
        const Image ref = reader.reference(region);
        const cv::Mat response = cornerResponse(ref), validShare = windowValidShare(validMask(ref), w);
        cv::Point best(w / 2 + slackX, w / 2 + slackY);
        double bestValue = -INFINITY;
        for (int y = w / 2; y <= w / 2 + 2 * slackY; ++y)
          for (int x = w / 2; x <= w / 2 + 2 * slackX; ++x)
            if (response.at<float>(y, x) > bestValue && validShare.at<float>(y, x) >= 0.5f) bestValue = response.at<float>(y, x), best = {x, y};
        const cv::Rect tbox(best.x - w / 2, best.y - w / 2, w, w);
        // Half valid is enough: the window is correlated over its valid pixels only.
        if (cv::countNonZero(validMask(ref)(tbox)) < 0.5 * w * w) return;
        const PixelWindow twin{region.x + tbox.x, region.y + tbox.y, w, w};
        const Image sen = reader.sensedInReferenceFrame(twin, m, model);
        if (sen.validFraction() < 0.5) return;
        const auto fr = structuralFeatures(ref, opt.features), fs = structuralFeatures(sen, opt.features);
        std::vector<cv::Mat> tk;
        for (const auto& f : fr) tk.push_back(f(tbox));
        WindowResult r;
        r.ncc = maskedMultiChannelNcc(tk, featureMask(ref)(tbox), fs);
        double peak = 0;
        const cv::Point2d off = peakOffset(r.ncc, m, &peak);
        if (peak == 0) return;  // flat template or search window: no evidence either way
        r.centre = {twin.x + w / 2.0, twin.y + w / 2.0};
        r.peak = off, r.peakValue = peak;
        r.confirmed = peak > 0 && std::hypot(off.x, off.y) <= opt.tolerance;
        r.rank = rankOfCentre(r.ncc, m);
        cells[k] = std::move(r);
      },
      [&](size_t finished) { progress.update(static_cast<double>(finished) / cells.size(), "verifying the model"); });
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);

  std::vector<WindowResult> windows;
  std::vector<double> ranks;
  bool cellConfirmed[9] = {};
  for (auto& cell : cells) {
    if (!cell) continue;
    ranks.push_back(cell->rank);
    if (cell->confirmed) {
      const int gx = std::clamp(static_cast<int>(3 * (cell->centre.x - o.x) / o.width), 0, 2);
      const int gy = std::clamp(static_cast<int>(3 * (cell->centre.y - o.y) / o.height), 0, 2);
      cellConfirmed[gy * 3 + gx] = true;
      ++out.confirmed;
    }
    windows.push_back(std::move(*cell));
  }
  progress.update(1.0, "verifying the model");
  out.windows = static_cast<int>(windows.size());
  out.cellsConfirmed = static_cast<int>(std::count(std::begin(cellConfirmed), std::end(cellConfirmed), true));
  out.pValue = binomialTail(out.confirmed, out.windows, out.chance);
  out.rankPValue = fisherCombined(ranks);
  // The rival could have formed at any of about 1 / chance distinct offsets.
  findRival(windows, opt.tolerance, out);
  out.rivalPValue = std::min(1.0, binomialTail(out.rivalWindows, out.windows, out.chance) / out.chance);
  std::vector<Point2> confirmedCentres;
  for (const auto& r : windows)
    if (r.confirmed) confirmedCentres.push_back({r.centre.x, r.centre.y});
  out.confirmedSpanPx = predictedErrorOver(confirmedCentres, ModelType::Affine, opt.tolerance, o);
  if (windows.empty()) return out;

  // The mean correlation surface: where all windows together put the model.
  cv::Mat mean = cv::Mat::zeros(2 * m + 1, 2 * m + 1, CV_64F);
  for (const auto& r : windows) mean += r.ncc / static_cast<double>(windows.size());
  const cv::Point2d aggregate = peakOffset(mean, m, &out.aggregatePeak);
  out.aggregateOffset = {aggregate.x, aggregate.y};
  double sum = 0, sum2 = 0;
  int n = 0;
  for (int y = 0; y < mean.rows; ++y)
    for (int x = 0; x < mean.cols; ++x)
      if (std::hypot(x - m, y - m) >= 3) sum += mean.at<double>(y, x), sum2 += std::pow(mean.at<double>(y, x), 2), ++n;
  const double mu = sum / n, sd = std::sqrt(std::max(1e-12, sum2 / n - mu * mu));
  out.aggregateZ = (mean.at<double>(m, m) - mu) / sd;

  // Slightly perturbed models: shifts of 2 px, and linear changes (rotation, scale, the two
  // shears) that move the farthest window by 2 px about the windows' centre.
  cv::Point2d c(0, 0);
  for (const auto& r : windows) c += r.centre / static_cast<double>(windows.size());
  double reach = 0;
  for (const auto& r : windows) reach = std::max(reach, cv::norm(r.centre - c));
  auto score = [&](double a, double b, double cc, double d, cv::Point2d t) {
    double s = 0;
    for (const auto& r : windows) {
      const cv::Point2d q = r.centre - c;
      s += sampleAt(r.ncc, m, {a * q.x + b * q.y + t.x, cc * q.x + d * q.y + t.y});
    }
    return s / windows.size();
  };
  const double atModel = score(0, 0, 0, 0, {0, 0});
  double bestPerturbed = -INFINITY;
  for (double sgn : {-1.0, 1.0}) {
    bestPerturbed = std::max({bestPerturbed, score(0, 0, 0, 0, {2 * sgn, 0}), score(0, 0, 0, 0, {0, 2 * sgn})});
    if (reach < 16) continue;  // windows too close together to tell a rotation from a shift
    const double e = sgn * 2 / reach;
    bestPerturbed = std::max({bestPerturbed, score(0, -e, e, 0, {0, 0}), score(e, 0, 0, e, {0, 0}),
                              score(e, 0, 0, -e, {0, 0}), score(0, e, e, 0, {0, 0})});
  }
  out.perturbationMargin = atModel - bestPerturbed;
  return out;
}

}  // namespace mmreg
