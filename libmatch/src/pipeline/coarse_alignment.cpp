#include "pipeline/coarse_alignment.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/fft_ncc.h"
#include "features/structural_features.h"
#include "mmreg/error.h"

namespace mmreg {
namespace {

struct Candidate {
  double angle = 0, scale = 1, ncc = -1;
  cv::Point2d shift;  // template origin in reference overview pixel indices
};

// The sensed overview rotated and scaled about its centre into a c x c template.
cv::Mat templateTransform(const Image& sen, double angle, double scale, int c) {
  const cv::Point2f centre(sen.width / 2.f - 0.5f, sen.height / 2.f - 0.5f);
  cv::Mat m = cv::getRotationMatrix2D(centre, angle, scale);
  m.at<double>(0, 2) += c / 2.0 - 0.5 - centre.x;
  m.at<double>(1, 2) += c / 2.0 - 0.5 - centre.y;
  return m;
}

Candidate evaluate(const Image& sen, const FftNccSearch& search, double angle, double scale, int c, int pad) {
  const cv::Mat m = templateTransform(sen, angle, scale, c);
  cv::Mat warped, mask;
  cv::warpAffine(asMat(sen), warped, m, {c, c}, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::warpAffine(validMask(sen), mask, m, {c, c}, cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
  Candidate out{angle, scale, -1, {}};
  if (cv::countNonZero(mask) < 0.8 * c * c) return out;
  const auto feats = structuralFeatures(imageFromMat(warped, mask));
  const cv::Mat ncc = search.ncc(feats);
  cv::Point p;
  cv::minMaxLoc(ncc, nullptr, &out.ncc, nullptr, &p);
  double dx = 0, dy = 0;
  if (p.x > 0 && p.x + 1 < ncc.cols) dx = parabolaPeak(ncc.at<double>(p.y, p.x - 1), out.ncc, ncc.at<double>(p.y, p.x + 1));
  if (p.y > 0 && p.y + 1 < ncc.rows) dy = parabolaPeak(ncc.at<double>(p.y - 1, p.x), out.ncc, ncc.at<double>(p.y + 1, p.x));
  out.shift = {p.x + dx - pad, p.y + dy - pad};
  return out;
}

}  // namespace

CoarseAlignment coarseAlign(const Image& ref, double refScale, const Image& sen, double senScale,
                            const CoarseOptions& opt, const ProgressSpan& progress) {
  const int c = static_cast<int>(std::min(0.35 * std::min(sen.width, sen.height), 0.6 * std::min(ref.width, ref.height)));
  if (c < 24)
    throw Error("the images are too small for the coarse alignment pass (template of " + std::to_string(c) +
                " px); give larger images or georeference the sensed image roughly");
  const int pad = c / 2;
  std::vector<cv::Mat> padded;
  for (auto& f : structuralFeatures(ref)) {
    cv::Mat p;
    cv::copyMakeBorder(f, p, pad, pad, pad, pad, cv::BORDER_CONSTANT, 0);
    padded.push_back(p);
  }
  const FftNccSearch search(padded, {c, c});

  std::vector<double> scales;
  const int lo = static_cast<int>(std::floor(std::log2(opt.minScale) * opt.scaleStepsPerOctave + 1e-9));
  const int hi = static_cast<int>(std::ceil(std::log2(opt.maxScale) * opt.scaleStepsPerOctave - 1e-9));
  for (int i = lo; i <= hi; ++i) scales.push_back(std::pow(2.0, static_cast<double>(i) / opt.scaleStepsPerOctave));
  const int nAngles = static_cast<int>(std::round(360.0 / opt.angleStepDeg));
  Candidate best;
  const double total = static_cast<double>(nAngles) * scales.size();
  for (int a = 0; a < nAngles; ++a) {
    progress.update(a * scales.size() / total, "coarse alignment");
    for (double s : scales) {
      const Candidate cand = evaluate(sen, search, a * opt.angleStepDeg, s, c, pad);
      if (cand.ncc > best.ncc) best = cand;
    }
  }
  // Local refinement of angle and scale around the best cell.
  const Candidate start = best;
  const double sStep = std::pow(2.0, 1.0 / (3 * opt.scaleStepsPerOctave));
  for (double da = -opt.angleStepDeg / 2; da <= opt.angleStepDeg / 2 + 1e-9; da += 1.0)
    for (int k = -1; k <= 1; ++k) {
      const Candidate cand = evaluate(sen, search, start.angle + da, start.scale * std::pow(sStep, k), c, pad);
      if (cand.ncc > best.ncc) best = cand;
    }
  progress.update(1.0, "coarse alignment");
  if (best.ncc < opt.minNcc)
    throw Error("the coarse alignment found no credible match between the images (best correlation " +
                std::to_string(best.ncc) + "); check that they show the same area, or georeference the sensed image roughly");

  // Sensed overview pixel index p -> template index M p -> reference overview index M p + shift.
  const cv::Mat m = templateTransform(sen, best.angle, best.scale, c);
  std::vector<Point2> from, to;
  for (auto corner : {cv::Point2d(0, 0), cv::Point2d(sen.width, 0), cv::Point2d(0, sen.height), cv::Point2d(sen.width, sen.height)}) {
    const cv::Point2d p = corner - cv::Point2d(0.5, 0.5);
    const cv::Point2d t(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2) + best.shift.x + 0.5,
                        m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2) + best.shift.y + 0.5);
    from.push_back({corner.x * senScale, corner.y * senScale});
    to.push_back({t.x * refScale, t.y * refScale});
  }
  CoarseAlignment out;
  out.forward = fitTransform(ModelType::Similarity, from, to);
  out.inverse = fitTransform(ModelType::Similarity, to, from);
  out.rotationDeg = best.angle;
  out.scale = best.scale;
  out.ncc = best.ncc;
  return out;
}

}  // namespace mmreg
