#include "pipeline/feature_hypotheses.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/local_maxima.h"
#include "features/log_gabor.h"

namespace mmreg {
namespace {

constexpr int kSamples = 16;  // per side of a patch
constexpr int kCells = 4;     // per side of a descriptor
constexpr int kBins = 8;      // orientation bins over [0, pi)
constexpr int kDims = kCells * kCells * kBins;

// Orientations as doubled-angle vectors (so that 0 and pi agree), weighted by a saturating
// amplitude and the orientation's coherence, smoothed a little: sampling between pixels then
// averages orientations, not angles.
struct VectorField {
  cv::Mat cx, cy;  // CV_32F
  cv::Mat valid;   // CV_8U
  cv::Mat weight;  // CV_32F in [0, 1): the saturated amplitude, for keypoints
};

VectorField vectorField(const Image& image) {
  const OrientationField f = logGaborOrientation(image);
  VectorField out;
  out.valid = validMask(image);
  std::vector<float> values;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      if (out.valid.at<uchar>(y, x) && f.amplitude.at<float>(y, x) > 0) values.push_back(f.amplitude.at<float>(y, x));
  float median = 1;
  if (!values.empty()) {
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    median = std::max(values[values.size() / 2], 1e-12f);
  }
  out.weight = f.amplitude / (f.amplitude + median);
  out.cx.create(image.height, image.width, CV_32F);
  out.cy.create(image.height, image.width, CV_32F);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const float w = out.weight.at<float>(y, x) * f.coherence.at<float>(y, x), phi = f.orientation.at<float>(y, x);
      out.cx.at<float>(y, x) = w * std::cos(2 * phi);
      out.cy.at<float>(y, x) = w * std::sin(2 * phi);
    }
  cv::GaussianBlur(out.cx, out.cx, {0, 0}, 1.0);
  cv::GaussianBlur(out.cy, out.cy, {0, 0}, 1.0);
  return out;
}

// The field's vector at (x, y) in pixel-centre coordinates (index + 0.5, as keypoints are),
// bilinear; false outside or on invalid pixels.
bool sample(const VectorField& f, double x, double y, float& a, float& b) {
  x -= 0.5, y -= 0.5;
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= f.cx.cols || y0 + 1 >= f.cx.rows) return false;
  if (!f.valid.at<uchar>(static_cast<int>(std::lround(y)), static_cast<int>(std::lround(x)))) return false;
  const float tx = static_cast<float>(x - x0), ty = static_cast<float>(y - y0);
  auto lerp = [&](const cv::Mat& m) {
    return (1 - ty) * ((1 - tx) * m.at<float>(y0, x0) + tx * m.at<float>(y0, x0 + 1)) +
           ty * ((1 - tx) * m.at<float>(y0 + 1, x0) + tx * m.at<float>(y0 + 1, x0 + 1));
  };
  a = lerp(f.cx);
  b = lerp(f.cy);
  return true;
}

// Calls visit(i, j, u, v, angle in [0, pi), magnitude) for the patch's samples (row i, column
// j of the sampling grid) that hit valid pixels; (u, v) in the patch's own frame, turned by
// alpha; returns how many did.
template <typename Visit>
int forEachSample(const VectorField& f, cv::Point2f at, double radius, double alpha, Visit visit) {
  const double c = std::cos(alpha), s = std::sin(alpha);
  int hits = 0;
  for (int i = 0; i < kSamples; ++i)
    for (int j = 0; j < kSamples; ++j) {
      const double u = ((j + 0.5) / kSamples * 2 - 1) * radius, v = ((i + 0.5) / kSamples * 2 - 1) * radius;
      float a, b;
      if (!sample(f, at.x + c * u - s * v, at.y + s * u + c * v, a, b)) continue;
      ++hits;
      double angle = 0.5 * std::atan2(b, a);
      if (angle < 0) angle += CV_PI;
      visit(i, j, u, v, angle, std::hypot(a, b));
    }
  return hits;
}

// The patch's dominant orientations in [0, pi): peaks of a smoothed histogram within 0.8 of
// the highest, at most two.
std::vector<double> dominantOrientations(const VectorField& f, cv::Point2f at, double radius) {
  constexpr int n = 36;
  std::array<double, n> hist{};
  forEachSample(f, at, radius, 0, [&](int, int, double u, double v, double angle, double magnitude) {
    if (u * u + v * v > radius * radius) return;
    const double w = magnitude * std::exp(-(u * u + v * v) / (0.5 * radius * radius));
    hist[static_cast<int>(angle / CV_PI * n) % n] += w;
  });
  for (int pass = 0; pass < 2; ++pass) {
    std::array<double, n> h = hist;
    for (int k = 0; k < n; ++k) hist[k] = 0.25 * h[(k + n - 1) % n] + 0.5 * h[k] + 0.25 * h[(k + 1) % n];
  }
  const double top = *std::max_element(hist.begin(), hist.end());
  std::vector<std::pair<double, double>> peaks;
  for (int k = 0; k < n && top > 0; ++k) {
    const double l = hist[(k + n - 1) % n], m = hist[k], r = hist[(k + 1) % n];
    if (m < 0.8 * top || m < l || m <= r) continue;
    const double offset = 0.5 * (l - r) / (l - 2 * m + r + 1e-30);
    peaks.emplace_back(m, std::fmod((k + 0.5 + offset) / n * CV_PI + CV_PI, CV_PI));
  }
  std::sort(peaks.rbegin(), peaks.rend());
  std::vector<double> out;
  for (size_t k = 0; k < peaks.size() && k < 2; ++k) out.push_back(peaks[k].second);
  return out;
}

// 4 x 4 cells of 8 orientation bins relative to alpha, Gaussian-weighted, normalised and
// clipped as SIFT's. False when under 70 % of the patch is valid.
bool describe(const VectorField& f, cv::Point2f at, double radius, double alpha, float* out) {
  std::fill(out, out + kDims, 0.f);
  const int hits = forEachSample(f, at, radius, alpha, [&](int i, int j, double u, double v, double angle, double magnitude) {
    double rel = (angle - alpha) / CV_PI * kBins;
    rel = std::fmod(std::fmod(rel, kBins) + kBins, kBins);
    const int b0 = static_cast<int>(rel) % kBins;
    const double t = rel - std::floor(rel);
    const double w = magnitude * std::exp(-(u * u + v * v) / (2 * radius * radius));
    float* cell = out + ((i * kCells / kSamples) * kCells + j * kCells / kSamples) * kBins;
    cell[b0] += static_cast<float>((1 - t) * w);
    cell[(b0 + 1) % kBins] += static_cast<float>(t * w);
  });
  if (hits < 0.7 * kSamples * kSamples) return false;
  cv::Mat d(1, kDims, CV_32F, out);
  for (int pass = 0; pass < 2; ++pass) {
    const double norm = cv::norm(d);
    if (norm <= 0) return false;
    d /= norm;
    if (pass == 0) cv::min(d, 0.2, d);
  }
  return true;
}

struct Feature {
  cv::Point2f pos;
  double angle, radius;
};

// Keypoints on the saturated amplitude (minimum eigenvalue of its structure tensor), away from
// invalid pixels, described at each radius and dominant orientation (and the opposite one too
// when `bothWays`: the dominant orientation is known modulo pi).
void features(const VectorField& f, int maxKeypoints, const std::vector<double>& radii, bool bothWays, std::vector<Feature>& out,
              cv::Mat& descriptors) {
  cv::Mat response, inner;
  cv::cornerMinEigenVal(f.weight, response, 5, 3);
  cv::erode(f.valid, inner, cv::Mat(), {-1, -1}, 4, cv::BORDER_CONSTANT, 0);
  const auto keypoints = strongestLocalMaxima(response, inner, 3, maxKeypoints);
  std::vector<float> rows;
  std::array<float, kDims> d;
  for (const auto& k : keypoints) {
    const cv::Point2f at(static_cast<float>(k.pos.x), static_cast<float>(k.pos.y));
    for (double radius : radii)
      for (double alpha : dominantOrientations(f, at, radius))
        for (int turn = 0; turn < (bothWays ? 2 : 1); ++turn)
          if (describe(f, at, radius, alpha + turn * CV_PI, d.data())) {
            out.push_back({at, alpha + turn * CV_PI, radius});
            rows.insert(rows.end(), d.begin(), d.end());
          }
  }
  descriptors = cv::Mat(static_cast<int>(out.size()), kDims, CV_32F, rows.data()).clone();
}

// A match read as a similarity from sensed to reference overview pixels.
struct Proposal {
  cv::Point2f ref, sen;
  double rotation, scale;  // ref angle - sensed angle; sensed pixels per reference pixel
  float distance;          // between the descriptors
};

bool nearerFirst(const Proposal& x, const Proposal& y) { return x.distance < y.distance; }

Proposal proposalOf(const Feature& r, const Feature& s, float distance) {
  return {r.pos, s.pos, std::remainder(r.angle - s.angle, 2 * CV_PI), s.radius / r.radius, distance};
}

struct Similarity {
  double a = 1, b = 0, tx = 0, ty = 0;  // x' = a x - b y + tx, y' = b x + a y + ty
  cv::Point2d apply(cv::Point2f p) const { return {a * p.x - b * p.y + tx, b * p.x + a * p.y + ty}; }
  double rotation() const { return std::atan2(b, a); }
  double scale() const { return 1 / std::hypot(a, b); }  // sensed pixels per reference pixel
};

Similarity fromProposal(const Proposal& p) {
  Similarity s;
  s.a = std::cos(p.rotation) / p.scale;
  s.b = std::sin(p.rotation) / p.scale;
  s.tx = p.ref.x - (s.a * p.sen.x - s.b * p.sen.y);
  s.ty = p.ref.y - (s.b * p.sen.x + s.a * p.sen.y);
  return s;
}

// Least squares over point pairs (the four-parameter similarity is linear in a, b, tx, ty).
Similarity fitSimilarity(const std::vector<const Proposal*>& pairs) {
  cv::Mat A(static_cast<int>(2 * pairs.size()), 4, CV_64F), rhs(static_cast<int>(2 * pairs.size()), 1, CV_64F);
  for (size_t k = 0; k < pairs.size(); ++k) {
    const auto& p = *pairs[k];
    const int r = static_cast<int>(2 * k);
    A.at<double>(r, 0) = p.sen.x, A.at<double>(r, 1) = -p.sen.y, A.at<double>(r, 2) = 1, A.at<double>(r, 3) = 0;
    A.at<double>(r + 1, 0) = p.sen.y, A.at<double>(r + 1, 1) = p.sen.x, A.at<double>(r + 1, 2) = 0, A.at<double>(r + 1, 3) = 1;
    rhs.at<double>(r) = p.ref.x, rhs.at<double>(r + 1) = p.ref.y;
  }
  cv::Mat x;
  cv::solve(A, rhs, x, cv::DECOMP_SVD);
  return {x.at<double>(0), x.at<double>(1), x.at<double>(2), x.at<double>(3)};
}

// When a proposal agrees with a model: its own rotation and scale alike, landing within a
// tolerance, and apart from the proposals already counted.
struct Agreement {
  double maxRotation, maxScaleRatio;  // radians; a ratio > 1
  double separation;                  // reference overview pixels
  bool alike(const Proposal& p, double rotation, double scale) const {
    return std::abs(std::remainder(p.rotation - rotation, 2 * CV_PI)) <= maxRotation && std::abs(std::log(p.scale / scale)) <= std::log(maxScaleRatio);
  }
};

// The proposals that agree with `s` (landing within the tolerance with a like rotation and
// scale), the most alike descriptors first, each at least `separation` from those already
// counted: keypoints a few pixels apart share most of their large patches, so a wrong match
// of one region repeats on its neighbours and must count once. proposals: sorted by distance.
std::vector<const Proposal*> agreeing(const std::vector<Proposal>& proposals, const Similarity& s, double tolerance, const Agreement& a) {
  std::vector<const Proposal*> out;
  for (const auto& p : proposals) {
    const cv::Point2d to = s.apply(p.sen);
    if (std::hypot(to.x - p.ref.x, to.y - p.ref.y) > tolerance || !a.alike(p, s.rotation(), s.scale())) continue;
    if (std::any_of(out.begin(), out.end(), [&](const Proposal* q) { return cv::norm(q->ref - p.ref) < a.separation; })) continue;
    out.push_back(&p);
  }
  return out;
}

// Matching again under a model: for each reference feature, the nearest descriptor among the
// sensed features that the model puts within `radius` with a like rotation and scale, kept
// when no farther than `maxDistance`. A model from a few clustered keypoints is right where they
// are; these matches, spread over the overlap, pin its rotation and scale down.
std::vector<Proposal> guidedProposals(const std::vector<Feature>& refFeatures, const cv::Mat& refDescriptors,
                                      const std::vector<Feature>& senFeatures, const cv::Mat& senDescriptors, const Similarity& model,
                                      double radius, float maxDistance, const Agreement& agreement) {
  std::vector<Proposal> out;
  for (size_t i = 0; i < refFeatures.size(); ++i) {
    float best = maxDistance;
    int bestJ = -1;
    for (size_t j = 0; j < senFeatures.size(); ++j) {
      const cv::Point2d to = model.apply(senFeatures[j].pos);
      if (std::abs(to.x - refFeatures[i].pos.x) > radius || std::abs(to.y - refFeatures[i].pos.y) > radius) continue;
      if (!agreement.alike(proposalOf(refFeatures[i], senFeatures[j], 0), model.rotation(), model.scale())) continue;
      const float d = static_cast<float>(cv::norm(refDescriptors.row(static_cast<int>(i)), senDescriptors.row(static_cast<int>(j))));
      if (d <= best) best = d, bestJ = static_cast<int>(j);
    }
    if (bestJ >= 0) out.push_back(proposalOf(refFeatures[i], senFeatures[bestJ], best));
  }
  std::stable_sort(out.begin(), out.end(), nearerFirst);
  return out;
}

}  // namespace

std::vector<CoarseAlignment> featureHypotheses(const Image& ref, double refScale, const Image& sen, double senScale,
                                               const FeatureHypothesisOptions& opt) {
  const VectorField refField = vectorField(ref), senField = vectorField(sen);
  std::vector<Feature> refFeatures, senFeatures;
  cv::Mat refDescriptors, senDescriptors;
  const double radius = opt.patchRadius * std::max(ref.width, ref.height);
  features(refField, opt.keypoints, {radius}, false, refFeatures, refDescriptors);
  std::vector<double> radii;
  const int lo = static_cast<int>(std::floor(std::log2(opt.minScale) * opt.scaleStepsPerOctave + 1e-9));
  const int hi = static_cast<int>(std::ceil(std::log2(opt.maxScale) * opt.scaleStepsPerOctave - 1e-9));
  for (int i = lo; i <= hi; ++i) radii.push_back(radius * std::pow(2.0, static_cast<double>(i) / opt.scaleStepsPerOctave));
  features(senField, opt.keypoints, radii, true, senFeatures, senDescriptors);
  if (refFeatures.empty() || senFeatures.size() < 2) return {};

  std::vector<std::vector<cv::DMatch>> nearest;
  cv::BFMatcher(cv::NORM_L2).knnMatch(refDescriptors, senDescriptors, nearest, 2);
  std::vector<Proposal> proposals;
  for (const auto& row : nearest)
    for (const auto& m : row) proposals.push_back(proposalOf(refFeatures[m.queryIdx], senFeatures[m.trainIdx], m.distance));
  std::stable_sort(proposals.begin(), proposals.end(), nearerFirst);
  const Agreement agreement{opt.agreeRotationDeg * CV_PI / 180, opt.agreeScale, 0.5 * radius};

  // Every proposal's support; then, the best supported first, each refined by least squares
  // on its supporters (twice) and on guided matches, and kept unless a kept one is like it.
  std::vector<std::pair<size_t, size_t>> support;  // (agreeing, proposal)
  for (size_t i = 0; i < proposals.size(); ++i)
    support.emplace_back(agreeing(proposals, fromProposal(proposals[i]), opt.tolerancePx, agreement).size(), i);
  std::stable_sort(support.begin(), support.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  struct Found {
    Similarity model;
    int agreeing;
  };
  std::vector<Found> found;
  for (const auto& [count, i] : support) {
    if (static_cast<int>(count) < opt.minAgreeing || static_cast<int>(found.size()) >= opt.maxHypotheses) break;
    Similarity model = fromProposal(proposals[i]);
    std::vector<const Proposal*> inliers = agreeing(proposals, model, opt.tolerancePx, agreement);
    for (int pass = 0; pass < 2 && inliers.size() >= 3; ++pass) {
      model = fitSimilarity(inliers);
      inliers = agreeing(proposals, model, opt.tolerancePx, agreement);
    }
    if (static_cast<int>(inliers.size()) < opt.minAgreeing) continue;
    const bool known = std::any_of(found.begin(), found.end(), [&](const Found& f) {
      const cv::Point2f centre(sen.width / 2.f, sen.height / 2.f);
      return cv::norm(f.model.apply(centre) - model.apply(centre)) < 3 * opt.tolerancePx &&
             std::abs(std::remainder(f.model.rotation() - model.rotation(), 2 * CV_PI)) < 10 * CV_PI / 180 &&
             std::abs(std::log(f.model.scale() / model.scale())) < std::log(1.2);
    });
    if (known) continue;
    // Refined on guided matches no less alike than three quarters of its own, found again
    // after each fit in a narrowing window: a model that is right only near its keypoints
    // misplaces the far ones by more than the tolerance.
    std::vector<float> distances;
    for (const auto* p : inliers) distances.push_back(p->distance);
    std::nth_element(distances.begin(), distances.begin() + distances.size() * 3 / 4, distances.end());
    const float maxDistance = distances[distances.size() * 3 / 4];
    for (double window : {4.0, 2.0, 1.0}) {
      const auto guided = guidedProposals(refFeatures, refDescriptors, senFeatures, senDescriptors, model, window * opt.tolerancePx, maxDistance, agreement);
      const auto agree = agreeing(guided, model, window * opt.tolerancePx, agreement);
      if (agree.size() < inliers.size()) break;
      model = fitSimilarity(agree);
    }
    found.push_back({model, static_cast<int>(inliers.size())});
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& x, const Found& y) { return x.agreeing > y.agreeing; });

  std::vector<CoarseAlignment> out;
  for (const auto& f : found) {
    // Keypoints sit at pixel centres (index + 0.5), as full-resolution coordinates do: the
    // model maps such coordinates, and full resolution is overview times scale.
    std::vector<Point2> from, to;
    for (auto corner : {cv::Point2f(0, 0), cv::Point2f(static_cast<float>(sen.width), 0), cv::Point2f(0, static_cast<float>(sen.height)),
                        cv::Point2f(static_cast<float>(sen.width), static_cast<float>(sen.height))}) {
      const cv::Point2d t = f.model.apply(corner);
      from.push_back({corner.x * senScale, corner.y * senScale});
      to.push_back({t.x * refScale, t.y * refScale});
    }
    CoarseAlignment a;
    a.forward = fitTransform(ModelType::Similarity, from, to);
    a.inverse = fitTransform(ModelType::Similarity, to, from);
    a.rotationDeg = -f.model.rotation() * 180 / CV_PI;  // as coarseAlign: counter-clockwise on screen
    a.scale = 1 / f.model.scale();
    a.agreeingParts = f.agreeing;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace mmreg
