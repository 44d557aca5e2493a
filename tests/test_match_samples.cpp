// Training samples of the cross-fusion matcher (issue 5): the centres of a positive pair are the
// same ground point under the two warps, negatives are not (hard ones close by), and every patch
// lies inside its image.
#include <gtest/gtest.h>

#include <cmath>

#include "mmreg/match_samples.h"

using namespace mmreg;

namespace {

// Rotation by `deg` and a shift about the centre of a 256 px image, with some perspective.
Homography warp(double deg, double dx, double dy, double px) {
  const double a = deg * M_PI / 180, c = 128;
  const Homography rot{std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, px, 0, 1};
  return multiply(Homography{1, 0, c + dx, 0, 1, c + dy, 0, 0, 1}, multiply(rot, Homography{1, 0, -c, 0, 1, -c, 0, 0, 1}));
}

double distance(Point2 a, Point2 b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

TEST(MatchSamples, PositivesCorrespondNegativesDoNot) {
  const Homography wa = warp(12, 5, -7, 2e-4), wb = warp(-20, -9, 4, -1e-4);
  const Homography ia = inverse(wa), ib = inverse(wb);
  MatchSampleOptions o;
  o.patchSize = 64;
  o.positives = 40;
  std::mt19937 rng(3);
  const auto samples = sampleMatchPairs(wa, wb, 256, 256, o, rng);
  ASSERT_EQ(samples.size(), 80u);
  int hard = 0, positives = 0;
  for (const auto& s : samples) {
    for (Point2 c : {s.centreA, s.centreB}) {  // whole patches in frame
      EXPECT_GE(c.x, 32);
      EXPECT_GE(c.y, 32);
      EXPECT_LE(c.x, 256 - 32);
      EXPECT_LE(c.y, 256 - 32);
    }
    // Both centres taken back to the aligned frame.
    const double d = distance(applyH(ia, s.centreA), applyH(ib, s.centreB));
    if (s.positive) {
      ++positives;
      EXPECT_LT(d, 1e-6);
    } else if (s.hard) {
      ++hard;
      EXPECT_GE(d, o.hardMinPx - 1e-6);
      EXPECT_LE(d, o.hardMaxPx + 1e-6);
    } else {
      EXPECT_GE(d, o.easyMinPx);
    }
  }
  EXPECT_EQ(positives, 40);
  EXPECT_GT(hard, 5);
  EXPECT_LT(hard, 35);
}

TEST(MatchSamples, AWarpThatLeavesNothingInFrameGivesNoSamples) {
  MatchSampleOptions o;
  o.maxTries = 500;
  std::mt19937 rng(4);
  EXPECT_TRUE(sampleMatchPairs(warp(0, 0, 0, 0), warp(0, 1000, 0, 0), 256, 256, o, rng).empty());
}

TEST(Homography, InverseAndComposition) {
  const Homography h = warp(33, 10, -4, 3e-4);
  const Point2 p{17.5, 200.25};
  const Point2 back = applyH(inverse(h), applyH(h, p));
  EXPECT_NEAR(back.x, p.x, 1e-9);
  EXPECT_NEAR(back.y, p.y, 1e-9);
  const Point2 twice = applyH(multiply(h, h), p), stepwise = applyH(h, applyH(h, p));
  EXPECT_NEAR(twice.x, stepwise.x, 1e-9);
  EXPECT_NEAR(twice.y, stepwise.y, 1e-9);
}
