#pragma once
// Classical keypoint baselines from OpenCV: SIFT, ORB, AKAZE, with Lowe's ratio test and a
// mutual-nearest-neighbour check, gated by the search margin (the tiles are pre-aligned).
// SIFT and ORB can also describe another detector's keypoints (e.g. the learned detector's).
#include <memory>

#include <opencv2/features2d.hpp>

#include "mmreg/features.h"

namespace mmreg {

cv::Ptr<cv::Feature2D> makeFeature2D(const std::string& name);  // sift | orb | akaze

class FeatureMatcher : public TileMatcher {
 public:
  // keypoints: whose keypoints the descriptors describe; null: the feature's own detector.
  explicit FeatureMatcher(std::string name, double ratio = 0.85, std::shared_ptr<const Detector> keypoints = nullptr)
      : name_(std::move(name)), ratio_(ratio), keypoints_(std::move(keypoints)) {}
  std::string name() const override { return keypoints_ ? name_ + "+" + keypoints_->name() : name_; }
  std::vector<TileMatch> match(const Image& ref, const Image& sensedPadded, int margin) const override;

 private:
  // Keypoints and descriptors of one tile: the feature's own, or keypoints_'s described by it.
  void describe(cv::Feature2D& f2d, const Image& img, std::vector<cv::KeyPoint>& kp, cv::Mat& desc) const;

  std::string name_;
  double ratio_;
  std::shared_ptr<const Detector> keypoints_;
};

class FeatureDetector : public Detector {
 public:
  explicit FeatureDetector(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::vector<Keypoint> detect(const Image& image, int maxPoints) const override;

 private:
  std::string name_;
};

}  // namespace mmreg
