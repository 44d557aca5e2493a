// Metrics on hand-made cases whose answers are worked out in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "mmreg/metrics.h"

using namespace mmreg;
using namespace mmreg::metrics;

TEST(Metrics, Repeatability) {
  // A: three points; B (in A's frame): one within 1 px of A[0], one 2.5 px from A[1], one far.
  const std::vector<Point2> a{{10, 10}, {50, 50}, {90, 90}};
  const std::vector<Point2> b{{10.6, 10.6}, {52.5, 50}, {200, 200}};
  EXPECT_DOUBLE_EQ(repeatability(a, b, 1.0), 2.0 / 6);  // A[0] and B[0]
  EXPECT_DOUBLE_EQ(repeatability(a, b, 3.0), 4.0 / 6);  // also A[1] and B[1]
  EXPECT_DOUBLE_EQ(repeatability({}, {}, 3.0), 0.0);
}

TEST(Metrics, MmaNcmCmr) {
  const std::vector<double> e{0.5, 1.0, 2.9, 3.1, 40};
  EXPECT_DOUBLE_EQ(mma(e, 1), 0.4);
  EXPECT_DOUBLE_EQ(mma(e, 3), 0.6);
  EXPECT_DOUBLE_EQ(mma(e, 10), 0.8);
  EXPECT_EQ(ncm(e, 3), 3);
  EXPECT_DOUBLE_EQ(cmr(e, 3), 0.6);
  EXPECT_DOUBLE_EQ(mma({}, 3), 0.0);
}

TEST(Metrics, AveragePrecisionAndNnMap) {
  // Ranked by score: correct, wrong, correct -> precisions at the correct ranks 1/1 and 2/3.
  const std::vector<double> scores{0.9, 0.8, 0.7};
  const std::vector<double> errors{0.5, 9.0, 2.0};
  EXPECT_NEAR(averagePrecision(scores, errors, 3), (1.0 + 2.0 / 3) / 2, 1e-12);
  // At t = 1 only the first is correct: AP 1. At t = 10 all are: AP 1.
  EXPECT_DOUBLE_EQ(averagePrecision(scores, errors, 1), 1.0);
  EXPECT_DOUBLE_EQ(averagePrecision(scores, errors, 10), 1.0);
  // Thresholds 1..10: t=1: 1; t=2..8: (1+2/3)/2; t=9,10: 1 (error 9.0 counts from t = 9).
  const double expected = (1.0 + 7 * (1.0 + 2.0 / 3) / 2 + 2 * 1.0) / 10;
  EXPECT_NEAR(nnMap(scores, errors), expected, 1e-12);
  // A ranking that puts the wrong match first is worse.
  EXPECT_LT(nnMap({0.7, 0.9, 0.8}, errors), nnMap(scores, errors));
}

TEST(Metrics, MatchingScore) {
  EXPECT_DOUBLE_EQ(matchingScore({1, 2, 5}, 3, 10, 30), 2.0 / 20);
  EXPECT_DOUBLE_EQ(matchingScore({1}, 3, 0, 0), 0.0);
}

TEST(Metrics, Rmse) {
  EXPECT_DOUBLE_EQ(rmse({{3, 4}, {0, 0}}), std::sqrt(25.0 / 2));
  EXPECT_TRUE(std::isnan(rmse({})));
}

TEST(Metrics, Fpr95) {
  // 20 positives scored 0.05..1.0; 95% of them (19) are accepted down to 0.10. Negatives at
  // 0.0, 0.09, 0.10, 0.5: two of four are at or above 0.10.
  std::vector<double> s;
  std::vector<int> l;
  for (int i = 1; i <= 20; ++i) s.push_back(0.05 * i), l.push_back(1);
  for (double n : {0.0, 0.09, 0.10, 0.5}) s.push_back(n), l.push_back(0);
  EXPECT_DOUBLE_EQ(fpr95(s, l), 0.5);
  // A perfect classifier has FPR95 = 0.
  EXPECT_DOUBLE_EQ(fpr95({0.9, 0.8, 0.1, 0.2}, {1, 1, 0, 0}), 0.0);
}

TEST(Metrics, SuccessRate) {
  EXPECT_DOUBLE_EQ(successRate({1.0, 2.9, 3.0, std::nan(""), INFINITY}), 0.4);
  EXPECT_DOUBLE_EQ(successRate({0.5, 1.2}, 1.0), 0.5);
}
