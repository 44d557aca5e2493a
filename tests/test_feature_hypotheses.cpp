// The keypoint hypotheses of the content search: phase-based orientation, and similarity
// hypotheses from rotation- and scale-invariant matches on real imagery under known warps.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "features/log_gabor.h"
#include "pipeline/feature_hypotheses.h"
#include "test_support.h"

using namespace mmreg;

namespace {

double angleGapDeg(double a, double b) {  // orientations, radians, modulo pi
  return std::abs(std::remainder(a - b, CV_PI)) * 180 / CV_PI;
}

double medianOf(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// `image` turned by `angleDeg` (counter-clockwise on screen) and scaled by `scale` about its
// centre, on a canvas that holds all of it; `forward` maps its pixels into the result's.
Image warped(const Image& image, double angleDeg, double scale, cv::Mat& forward) {
  const cv::Point2f centre(image.width / 2.f - 0.5f, image.height / 2.f - 0.5f);
  forward = cv::getRotationMatrix2D(centre, angleDeg, scale);
  const int side = static_cast<int>(std::ceil(std::hypot(image.width, image.height) * scale));
  forward.at<double>(0, 2) += side / 2.0 - image.width / 2.0;
  forward.at<double>(1, 2) += side / 2.0 - image.height / 2.0;
  cv::Mat out, mask;
  cv::warpAffine(asMat(image), out, forward, {side, side}, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::warpAffine(cv::Mat(image.height, image.width, CV_8U, cv::Scalar(255)), mask, forward, {side, side}, cv::INTER_NEAREST,
                 cv::BORDER_CONSTANT, 0);
  return imageFromMat(out, mask);
}

}  // namespace

// Stripes whose intensity varies along direction theta: the dominant orientation is theta
// (the filters' frequency direction), whatever the stripes' phase or contrast.
TEST(LogGabor, OrientationFollowsStripes) {
  for (double thetaDeg : {0.0, 30.0, 75.0, 120.0, 165.0}) {
    const double theta = thetaDeg * CV_PI / 180;
    Image stripes(128, 128);
    for (int y = 0; y < 128; ++y)
      for (int x = 0; x < 128; ++x) stripes.at(x, y) = static_cast<float>(std::cos(2 * CV_PI * (x * std::cos(theta) + y * std::sin(theta)) / 9));
    const OrientationField f = logGaborOrientation(stripes);
    std::vector<double> gaps;
    for (int y = 32; y < 96; y += 4)
      for (int x = 32; x < 96; x += 4) gaps.push_back(angleGapDeg(f.orientation.at<float>(y, x), theta));
    EXPECT_LT(medianOf(gaps), 2.0) << "stripes at " << thetaDeg << " deg";
  }
}

// On real imagery (the bundled Sentinel-2 sample) turned by a quarter turn, every orientation
// turns with it, and inverting the contrast changes none (SAR and optical edges often differ
// in sign).
TEST(LogGabor, OrientationTurnsWithTheImageAndIgnoresContrastSign) {
  const Image optical = mmreg_test::s1s2SampleWindow(false, 200, 200, 192);
  cv::Mat turned, inverted = -asMat(optical);
  cv::rotate(asMat(optical), turned, cv::ROTATE_90_CLOCKWISE);  // (x, y) -> (h - 1 - y, x)
  const OrientationField a = logGaborOrientation(optical), b = logGaborOrientation(imageFromMat(turned)),
                         c = logGaborOrientation(imageFromMat(inverted));
  // Where structure is strong: the upper quartile of the amplitude.
  std::vector<double> amplitudes(a.amplitude.begin<float>(), a.amplitude.end<float>());
  std::nth_element(amplitudes.begin(), amplitudes.begin() + amplitudes.size() * 3 / 4, amplitudes.end());
  const double strong = amplitudes[amplitudes.size() * 3 / 4];
  std::vector<double> turnGaps, signGaps;
  for (int y = 24; y < 168; ++y)
    for (int x = 24; x < 168; ++x) {
      if (a.amplitude.at<float>(y, x) < strong) continue;
      turnGaps.push_back(angleGapDeg(b.orientation.at<float>(x, 191 - y), a.orientation.at<float>(y, x) + CV_PI / 2));
      signGaps.push_back(angleGapDeg(c.orientation.at<float>(y, x), a.orientation.at<float>(y, x)));
    }
  ASSERT_GT(turnGaps.size(), 1000u);
  EXPECT_LT(medianOf(turnGaps), 1.0);
  EXPECT_LT(medianOf(signGaps), 0.01);
}

// The bundled Sentinel-1 SAR window turned by 130 degrees and scaled by 1.3, against the
// Sentinel-2 optical window of the same ground: the first hypothesis is the truth, within
// what the fine passes start from (the pair itself is aligned to about 2 px).
TEST(FeatureHypotheses, FindARotatedScaledSarOpticalPair) {
  const Image optical = mmreg_test::s1s2SampleWindow(false, 100, 100, 400);
  const Image sar = mmreg_test::s1s2SampleWindow(true, 100, 100, 400);
  cv::Mat forward;
  const Image sensed = warped(sar, 130, 1.3, forward);
  const auto found = featureHypotheses(optical, 1, sensed, 1);
  ASSERT_FALSE(found.empty());
  // What the fine passes need to start from: the centre well within their reach from a coarse
  // start (36 px here), rotation and scale within a fraction of the correlation search's steps
  // (5 deg, 26 %). Measured 2026-11-30: 6.5 px, -128.3 deg (sensed to reference, counter-clockwise on screen),
  // 0.743.
  const cv::Point2d centre(199.5, 199.5);
  const cv::Point2d s(forward.at<double>(0, 0) * centre.x + forward.at<double>(0, 1) * centre.y + forward.at<double>(0, 2),
                      forward.at<double>(1, 0) * centre.x + forward.at<double>(1, 1) * centre.y + forward.at<double>(1, 2));
  const Point2 r = found[0].forward->apply({s.x + 0.5, s.y + 0.5});  // pixel centres: index + 0.5
  EXPECT_LT(std::hypot(r.x - 0.5 - centre.x, r.y - 0.5 - centre.y), 12.0);
  EXPECT_LT(std::abs(std::remainder(found[0].rotationDeg + 130, 360.0)), 3.0) << found[0].rotationDeg;
  EXPECT_LT(std::abs(std::log(found[0].scale * 1.3)), std::log(1.08)) << found[0].scale;
  EXPECT_GE(found[0].agreeingParts, 5);
}

// Nothing to match: an image with no structure gives no hypothesis (and no error).
TEST(FeatureHypotheses, NoneWithoutStructure) {
  const Image optical = mmreg_test::s1s2SampleWindow(false, 100, 100, 256);
  EXPECT_TRUE(featureHypotheses(optical, 1, Image(256, 256, 0.5f), 1).empty());
}
