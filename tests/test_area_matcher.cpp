// The area-based matcher on real SAR-optical tiles with known shifts, the FFT NCC kernel
// against a direct computation, the structural features' two normalisations, the area-based refinement of keypoint matches, and a keypoint
// matcher describing another detector's keypoints, and the peakiness detector.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "cv_image.h"
#include "features/area_matcher.h"
#include "features/area_refinement.h"
#include "mmreg/error.h"
#include "mmreg/features.h"
#include "features/fft_ncc.h"
#include "features/peakiness_detector.h"
#include "features/structural_features.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "test_support.h"

using namespace mmreg;

namespace {

double directNcc(const std::vector<cv::Mat>& t, const std::vector<cv::Mat>& s, int u, int v) {
  double num = 0, et = 0, es = 0;
  for (size_t k = 0; k < t.size(); ++k) {
    cv::Mat a = t[k] - cv::mean(t[k])[0];
    cv::Mat w = s[k](cv::Rect(u, v, t[k].cols, t[k].rows));
    cv::Mat b = w - cv::mean(w)[0];
    num += a.dot(w);
    et += a.dot(a);
    es += b.dot(b);
  }
  return num / std::sqrt(et * es);
}

// The same over the pixels where mask (CV_8U) is set only.
double directMaskedNcc(const std::vector<cv::Mat>& t, const std::vector<cv::Mat>& s, const cv::Mat& mask, int u, int v) {
  double num = 0, et = 0, es = 0;
  for (size_t k = 0; k < t.size(); ++k) {
    const cv::Mat w = s[k](cv::Rect(u, v, t[k].cols, t[k].rows));
    const double mt = cv::mean(t[k], mask)[0], ms = cv::mean(w, mask)[0];
    for (int y = 0; y < mask.rows; ++y)
      for (int x = 0; x < mask.cols; ++x)
        if (mask.at<uchar>(y, x)) {
          const double a = t[k].at<float>(y, x) - mt, b = w.at<float>(y, x) - ms;
          num += a * b, et += a * a, es += b * b;
        }
  }
  return num / std::sqrt(et * es);
}

Image readProcessed(const ImageWindowRef& w, Modality m, int dx = 0, int dy = 0, int pad = 0) {
  const auto r = GeoRaster::open(w.path);
  std::vector<Image> bands;
  const PixelWindow win{w.window.x + dx - pad, w.window.y + dy - pad, w.window.width + 2 * pad, w.window.height + 2 * pad};
  for (int b : w.bands) bands.push_back(r.readWindow(b, win, win.width, win.height));
  return preprocess(combineBands(bands), m);
}

// `image` in a frame padded by `margin` on each side (reflected), its content moved by (sx, sy)
// with cubic resampling: the sensed side of a pair whose truth is that shift.
Image shiftedInPaddedFrame(const Image& image, int margin, double sx, double sy) {
  cv::Mat padded, moved;
  cv::copyMakeBorder(asMat(image), padded, margin, margin, margin, margin, cv::BORDER_REFLECT);
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, sx, 0, 1, sy);
  cv::warpAffine(padded, moved, m, padded.size(), cv::INTER_CUBIC, cv::BORDER_REFLECT);
  return imageFromMat(moved);
}

}  // namespace

TEST(FftNcc, MatchesDirectComputation) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<cv::Mat> s(3), t(3);
  for (int k = 0; k < 3; ++k) {
    s[k] = cv::Mat(40, 50, CV_32F);
    for (int i = 0; i < s[k].rows * s[k].cols; ++i) s[k].at<float>(i) = u(rng);
    t[k] = s[k](cv::Rect(17, 9, 16, 12)).clone();
  }
  const cv::Mat ncc = multiChannelNcc(t, s);
  ASSERT_EQ(ncc.rows, 40 - 12 + 1);
  ASSERT_EQ(ncc.cols, 50 - 16 + 1);
  for (auto [u0, v0] : {std::pair{0, 0}, {17, 9}, {30, 20}, {3, 28}})
    EXPECT_NEAR(ncc.at<double>(v0, u0), directNcc(t, s, u0, v0), 1e-4);
  cv::Point best;
  cv::minMaxLoc(ncc, nullptr, nullptr, nullptr, &best);
  EXPECT_EQ(best, cv::Point(17, 9));
  EXPECT_NEAR(ncc.at<double>(9, 17), 1.0, 1e-4);
}

TEST(FftNcc, MaskedTemplateMatchesDirectComputationAndIgnoresWhatLiesOutside) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<cv::Mat> s(3), t(3);
  cv::Mat disc = cv::Mat::zeros(21, 21, CV_8U);
  cv::circle(disc, {10, 10}, 10, cv::Scalar(255), cv::FILLED);
  for (int k = 0; k < 3; ++k) {
    s[k] = cv::Mat(48, 56, CV_32F);
    for (int i = 0; i < s[k].rows * s[k].cols; ++i) s[k].at<float>(i) = u(rng);
    t[k] = s[k](cv::Rect(23, 11, 21, 21)).clone();
    t[k].setTo(50, disc == 0);  // garbage outside the disc must not count
  }
  const cv::Mat ncc = FftNccSearch(s, disc).ncc(t);
  ASSERT_EQ(ncc.rows, 48 - 21 + 1);
  ASSERT_EQ(ncc.cols, 56 - 21 + 1);
  for (auto [u0, v0] : {std::pair{0, 0}, {23, 11}, {35, 27}, {4, 20}})
    EXPECT_NEAR(ncc.at<double>(v0, u0), directMaskedNcc(t, s, disc, u0, v0), 1e-4);
  cv::Point best;
  cv::minMaxLoc(ncc, nullptr, nullptr, nullptr, &best);
  EXPECT_EQ(best, cv::Point(23, 11));
  EXPECT_NEAR(ncc.at<double>(11, 23), 1.0, 1e-4);
}

// Per pixel, weak texture beside a strong edge weighs as much as the edge; normalised by the
// energy around it, the edge keeps its strength (what the coarse pass's second search uses).
TEST(StructuralFeatures, RegionalNormalisationKeepsAnEdgeAboveTheTextureBesideIt) {
  cv::Mat img(64, 64, CV_32F);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> texture(0.f, 0.02f);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) img.at<float>(y, x) = (x < 32 ? 0.2f : 0.9f) + texture(rng);
  auto norm = [](const std::vector<cv::Mat>& f, int x, int y) {
    double s = 0;
    for (const auto& c : f) s += std::pow(c.at<float>(y, x), 2);
    return std::sqrt(s);
  };
  StructuralFeatureOptions regional;
  regional.normalisation = StructuralFeatureOptions::Normalisation::Regional;
  const auto perPixel = structuralFeatures(imageFromMat(img)), byRegion = structuralFeatures(imageFromMat(img), regional);
  for (int y = 8; y < 56; y += 8) {
    EXPECT_GT(norm(perPixel, 31, y), 0.9);
    EXPECT_GT(norm(perPixel, 28, y), 0.6);  // texture 3 px from the edge
    EXPECT_GT(norm(byRegion, 31, y), 1.0);
    EXPECT_LT(norm(byRegion, 28, y), 0.2);
    EXPECT_GT(norm(byRegion, 8, y), 0.4);  // texture far from any edge is normalised as before
  }
}

TEST(FftNcc, ParabolaFindsTheVertex) {
  auto f = [](double x) { return 1 - (x - 0.3) * (x - 0.3); };
  EXPECT_NEAR(parabolaPeak(f(-1), f(0), f(1)), 0.3, 1e-9);
}

TEST(AreaMatcher, RecoversIntegerShiftOnRealSarOptical) {
  SKIP_WITHOUT_SHARED_DATA();
  // The optical window stays put; the SAR is read from a window moved by (dx, dy), so its
  // content appears shifted by (-dx, -dy) in the padded frame.
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  const int dx = 7, dy = -5, margin = 16;
  const Image ref = readProcessed(pair.reference, Modality::Optical);
  const Image sen = readProcessed(pair.sensed, Modality::Sar, dx, dy, margin);
  AreaMatcher matcher;
  const auto matches = matcher.match(ref, sen, margin);
  ASSERT_GE(matches.size(), 10u);
  std::vector<double> ex, ey;
  for (auto& m : matches) ex.push_back(m.sensed.x - m.ref.x + dx), ey.push_back(m.sensed.y - m.ref.y + dy);
  std::nth_element(ex.begin(), ex.begin() + ex.size() / 2, ex.end());
  std::nth_element(ey.begin(), ey.begin() + ey.size() / 2, ey.end());
  EXPECT_NEAR(ex[ex.size() / 2], 0.0, 1.5);  // 3MOS alignment is good to 1-2 px in cities
  EXPECT_NEAR(ey[ey.size() / 2], 0.0, 1.5);
}

TEST(AreaMatcher, SubPixelShiftOnOpticalIsExact) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  const Image ref = readProcessed(pair.reference, Modality::Optical);
  const int margin = 8;
  // The same optical tile shifted by a fractional amount into a padded frame.
  const double sx = 2.4, sy = -1.7;
  const auto matches = AreaMatcher().match(ref, shiftedInPaddedFrame(ref, margin, sx, sy), margin);
  ASSERT_GE(matches.size(), 10u);
  double mx = 0, my = 0;
  for (auto& t : matches) mx += t.sensed.x - t.ref.x, my += t.sensed.y - t.ref.y;
  EXPECT_NEAR(mx / matches.size(), sx, 0.2);
  EXPECT_NEAR(my / matches.size(), sy, 0.2);
}

// Templates partly under nodata (stripes of it: no 64 px template is 90 % valid, which the
// matcher used to require) are correlated over their valid pixels and land on the truth.
TEST(AreaMatcher, TemplatesPartlyUnderNodataMatchOverTheirValidPixels) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  Image ref = readProcessed(pair.reference, Modality::Optical);
  const int margin = 8;
  const double sx = -1.3, sy = 2.6;
  const Image moved = shiftedInPaddedFrame(ref, margin, sx, sy);  // before the nodata, which the reference alone gets
  ref.valid.assign(ref.pixels.size(), 1);
  for (int y = 0; y < ref.height; ++y)
    for (int x = 0; x < ref.width; ++x)
      if (x % 48 < 16) ref.valid[static_cast<size_t>(y) * ref.width + x] = 0, ref.at(x, y) = 0;
  const auto matches = AreaMatcher().match(ref, moved, margin);
  ASSERT_GE(matches.size(), 10u);
  for (auto& t : matches) {
    EXPECT_NEAR(t.sensed.x - t.ref.x, sx, 0.5);
    EXPECT_NEAR(t.sensed.y - t.ref.y, sy, 0.5);
  }
}

// Valid data in scattered patches (a quarter of the tile, in 48 px squares): no 128 px template
// can be half valid, so the matcher halves its templates until one can, and still lands on the truth.
TEST(AreaMatcher, LargeTemplatesShrinkWhereTheValidDataIsFragmented) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  Image ref = readProcessed(pair.reference, Modality::Optical);
  const int margin = 8;
  const double sx = 1.6, sy = -2.2;
  const Image moved = shiftedInPaddedFrame(ref, margin, sx, sy);  // before the nodata, which the reference alone gets
  ref.valid.assign(ref.pixels.size(), 1);
  for (int y = 0; y < ref.height; ++y)
    for (int x = 0; x < ref.width; ++x)
      if (x % 96 >= 48 || y % 96 >= 48) ref.valid[static_cast<size_t>(y) * ref.width + x] = 0, ref.at(x, y) = 0;
  AreaMatcherOptions o;
  o.templateSize = 128;
  const auto matches = AreaMatcher(o).match(ref, moved, margin);
  ASSERT_GE(matches.size(), 4u);
  for (auto& t : matches) {
    EXPECT_NEAR(t.sensed.x - t.ref.x, sx, 0.5);
    EXPECT_NEAR(t.sensed.y - t.ref.y, sy, 0.5);
  }
}

TEST(AreaMatcher, FlatImagesGiveNoMatches) {
  Image flat(128, 128, 0.5f), flatPadded(160, 160, 0.5f);
  EXPECT_TRUE(AreaMatcher().match(flat, flatPadded, 16).empty());
}

// Keypoint matches a pixel or two off, as a keypoint matcher leaves them, move to the true
// sub-pixel position (a real optical tile against itself moved by a known fraction: the SAR of
// this pair is only aligned to 1-2 px); a match off by more than the search radius is dropped
// rather than kept wrong.
TEST(AreaRefinement, MovesRoughMatchesToTheSubPixelTruthAndDropsFarOnes) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  const int margin = 8;
  const Image ref = readProcessed(pair.reference, Modality::Optical);
  const double sx = 1.3, sy = -0.6;  // sensed content moved by this much
  const Image sen = shiftedInPaddedFrame(ref, margin, sx, sy);
  std::vector<TileMatch> rough, far;
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> pos(40, ref.width - 40), off(-4, 4);
  for (int i = 0; i < 40; ++i) {
    const Point2 p{pos(rng), pos(rng)};
    rough.push_back({p, {p.x + sx + off(rng), p.y + sy + off(rng)}, 1});
    far.push_back({p, {p.x + sx + 8, p.y + sy}, 1});
  }
  const auto refined = refineMatches(ref, sen, margin, rough);
  ASSERT_GE(refined.size(), 20u);  // a few templates fall on flat ground
  std::vector<double> err;
  for (const auto& m : refined) err.push_back(std::hypot(m.sensed.x - m.ref.x - sx, m.sensed.y - m.ref.y - sy));
  std::sort(err.begin(), err.end());
  EXPECT_LT(err[err.size() / 2], 0.35);  // the input was off by 3 px on average
  EXPECT_LT(refineMatches(ref, sen, margin, far).size(), 4u);
}

// SIFT descriptors at another detector's keypoints (here the corner detector; the benchmark
// uses the learned one): the matches recover a known shift of a real optical tile.
TEST(KeypointMatchers, SiftDescribesAnotherDetectorsKeypoints) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  const Image ref = readProcessed(pair.reference, Modality::Optical);
  const int margin = 8, dx = 5, dy = -3;
  const Image sen = readProcessed(pair.reference, Modality::Optical, -dx, -dy, margin);  // content moved by (dx, dy)
  const auto matcher = makeTileMatcher("sift", {}, makeDetector("corner"));
  EXPECT_EQ(matcher->name(), "sift+corner");
  const auto matches = matcher->match(ref, sen, margin);
  ASSERT_GE(matches.size(), 10u);
  int exact = 0;
  for (const auto& m : matches) exact += std::hypot(m.sensed.x - m.ref.x - dx, m.sensed.y - m.ref.y - dy) < 0.5;
  EXPECT_GT(exact, 0.8 * matches.size());
  EXPECT_THROW(makeTileMatcher("akaze", {}, makeDetector("corner")), Error);
}

TEST(PeakinessDetector, KeypointsMoveWithTheImageAndSitOnStrongStructure) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  // A shift by multiples of 4 px keeps the half- and quarter-resolution levels on the same grid.
  const int dx = 8, dy = -4;
  const Image a = readProcessed(pair.reference, Modality::Optical), b = readProcessed(pair.reference, Modality::Optical, dx, dy);
  const auto detector = makeDetector("peakiness");
  const auto ka = detector->detect(a, 150), kb = detector->detect(b, 150);
  ASSERT_EQ(ka.size(), 150u);
  for (size_t i = 1; i < ka.size(); ++i) ASSERT_GE(ka[i - 1].score, ka[i].score);  // strongest first
  // Away from the borders, a's keypoints are b's moved by the shift.
  int inside = 0, found = 0;
  for (const auto& p : ka) {
    if (p.pos.x < 24 + dx || p.pos.y < 24 || p.pos.x > a.width - 24 || p.pos.y > a.height - 24 + dy) continue;
    ++inside;
    found += std::any_of(kb.begin(), kb.end(), [&](const Keypoint& q) {
      return std::hypot(q.pos.x + dx - p.pos.x, q.pos.y + dy - p.pos.y) < 1.5;
    });
  }
  ASSERT_GT(inside, 50);
  EXPECT_GT(static_cast<double>(found) / inside, 0.8) << found << " of " << inside;
  // On strong structure: the gradient at the keypoints is well above the image's mean (peakiness
  // on unit vectors would fire as readily in faint texture).
  cv::Mat gx, gy, mag;
  cv::Sobel(asMat(a), gx, CV_32F, 1, 0);
  cv::Sobel(asMat(a), gy, CV_32F, 0, 1);
  cv::magnitude(gx, gy, mag);
  cv::GaussianBlur(mag, mag, {0, 0}, 2);
  double atKeypoints = 0;
  for (const auto& p : ka) atKeypoints += mag.at<float>(static_cast<int>(p.pos.y), static_cast<int>(p.pos.x)) / ka.size();
  EXPECT_GT(atKeypoints, 1.5 * cv::mean(mag)[0]);
}
