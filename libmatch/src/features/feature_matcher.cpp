#include "features/feature_matcher.h"

#include <algorithm>
#include <cmath>

#include "cv_image.h"
#include "mmreg/error.h"

namespace mmreg {
namespace {

cv::Mat to8bit(const Image& img) {
  cv::Mat out;
  asMat(img).convertTo(out, CV_8U, 255.0);
  return out;
}

std::vector<cv::DMatch> ratioMatches(const cv::DescriptorMatcher& m, const cv::Mat& a, const cv::Mat& b, double ratio) {
  std::vector<std::vector<cv::DMatch>> knn;
  m.knnMatch(a, b, knn, 2);
  std::vector<cv::DMatch> out;
  for (auto& k : knn)
    if (k.size() == 2 && k[0].distance < ratio * k[1].distance) out.push_back(k[0]);
    else if (k.size() == 1) out.push_back(k[0]);
  return out;
}

}  // namespace

cv::Ptr<cv::Feature2D> makeFeature2D(const std::string& name) {
  if (name == "sift") return cv::SIFT::create(4000);
  if (name == "orb") return cv::ORB::create(4000);
  if (name == "akaze") return cv::AKAZE::create();
  throw Error("unknown OpenCV feature '" + name + "'; use sift, orb or akaze");
}

void FeatureMatcher::describe(cv::Feature2D& f, const Image& img, std::vector<cv::KeyPoint>& kp, cv::Mat& desc) const {
  if (!keypoints_) return f.detectAndCompute(to8bit(img), validMask(img), kp, desc);
  // One keypoint per 32 x 32 px, described at a fixed size: 16 px is a 96 px SIFT window, the
  // patch of the cross-fusion matcher.
  for (const auto& k : keypoints_->detect(img, std::max(16, img.width * img.height / 1024)))
    kp.emplace_back(static_cast<float>(k.pos.x - 0.5), static_cast<float>(k.pos.y - 0.5), 16.f, -1.f, static_cast<float>(k.score));
  f.compute(to8bit(img), kp, desc);
}

std::vector<TileMatch> FeatureMatcher::match(const Image& ref, const Image& sen, int margin) const {
  auto f2d = makeFeature2D(name_);
  std::vector<cv::KeyPoint> kr, ks;
  cv::Mat dr, ds;
  describe(*f2d, ref, kr, dr);
  describe(*f2d, sen, ks, ds);
  if (kr.size() < 2 || ks.size() < 2) return {};
  const int norm = dr.type() == CV_8U ? cv::NORM_HAMMING : cv::NORM_L2;
  cv::BFMatcher bf(norm, false);
  const auto fwd = ratioMatches(bf, dr, ds, ratio_);
  const auto bwd = ratioMatches(bf, ds, dr, ratio_);
  std::vector<int> back(ks.size(), -1);
  for (auto& b : bwd) back[b.queryIdx] = b.trainIdx;
  std::vector<TileMatch> out;
  const double gate = margin * std::sqrt(2.0) + 2;
  for (auto& f : fwd) {
    if (back[f.trainIdx] != f.queryIdx) continue;  // mutual nearest neighbours only
    const auto& a = kr[f.queryIdx].pt;
    const auto& b = ks[f.trainIdx].pt;
    TileMatch tm;
    tm.ref = {a.x + 0.5, a.y + 0.5};
    tm.sensed = {b.x + 0.5 - margin, b.y + 0.5 - margin};
    if (std::hypot(tm.sensed.x - tm.ref.x, tm.sensed.y - tm.ref.y) > gate) continue;
    tm.score = 1.0 / (1.0 + f.distance);
    out.push_back(tm);
  }
  return out;
}

std::vector<Keypoint> FeatureDetector::detect(const Image& image, int maxPoints) const {
  std::vector<cv::KeyPoint> kp;
  makeFeature2D(name_)->detect(to8bit(image), kp, validMask(image));
  std::sort(kp.begin(), kp.end(), [](const cv::KeyPoint& a, const cv::KeyPoint& b) { return a.response > b.response; });
  if (static_cast<int>(kp.size()) > maxPoints) kp.resize(maxPoints);
  std::vector<Keypoint> out;
  for (auto& k : kp) out.push_back({{k.pt.x + 0.5, k.pt.y + 0.5}, k.response});
  return out;
}

}  // namespace mmreg
