#pragma once
// Classical keypoint baselines from OpenCV: SIFT, ORB, AKAZE, with Lowe's ratio test and a
// mutual-nearest-neighbour check, gated by the search margin (the tiles are pre-aligned).
#include <opencv2/features2d.hpp>

#include "mmreg/features.h"

namespace mmreg {

cv::Ptr<cv::Feature2D> makeFeature2D(const std::string& name);  // sift | orb | akaze

class FeatureMatcher : public TileMatcher {
 public:
  explicit FeatureMatcher(std::string name, double ratio = 0.85) : name_(std::move(name)), ratio_(ratio) {}
  std::string name() const override { return name_; }
  std::vector<TileMatch> match(const Image& ref, const Image& sensedPadded, int margin) const override;

 private:
  std::string name_;
  double ratio_;
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
