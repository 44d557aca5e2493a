#pragma once
// Evaluation metrics, as the literature defines them (each comment names the source).
#include <cstddef>
#include <vector>

#include "mmreg/geometry.h"

namespace mmreg::metrics {

// Keypoint repeatability (SuperPoint, DeTone et al. 2018): `a` are keypoints of image A, `bInA`
// those of image B mapped into A's frame by the ground truth, both restricted by the caller to
// the region the two images share. A keypoint is repeated when the other set has one within
// `eps` px; the result is (repeated in A + repeated in B) / (|A| + |B|), 0 when both are empty.
double repeatability(const std::vector<Point2>& a, const std::vector<Point2>& bInA, double eps);

// Mean matching accuracy at threshold t (D2-Net, Dusmanu et al. 2019): the share of matches
// whose ground-truth error is at most t px. 0 for no matches.
double mma(const std::vector<double>& errors, double t);

// Correct matches at t (NCM) and their share of all matches (CMR).
int ncm(const std::vector<double>& errors, double t);
double cmr(const std::vector<double>& errors, double t);

// Average precision of matches ranked by score (highest first), a match being correct when its
// error is at most t: the mean of the precision at the rank of each correct match.
double averagePrecision(const std::vector<double>& scores, const std::vector<double>& errors, double t);
// NN mAP: the mean of averagePrecision over the thresholds (default 1..10 px).
double nnMap(const std::vector<double>& scores, const std::vector<double>& errors,
             const std::vector<double>& thresholds = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});

// Matching score (SuperPoint): correct matches at t over the mean number of keypoints the
// pipeline proposed in the shared region of the two images.
double matchingScore(const std::vector<double>& errors, double t, std::size_t keypointsA, std::size_t keypointsB);

// Root mean square of residual vectors (px; multiply by the pixel size for metres).
double rmse(const std::vector<Point2>& residuals);

// FPR95 for patch-pair classifiers (Brown et al. 2011; MD-FRN): the false-positive rate at the
// highest score threshold that still accepts 95% of the positives. labels: 1 positive, 0 negative.
double fpr95(const std::vector<double>& scores, const std::vector<int>& labels);

// Share of pairs whose check-point RMSE is below `threshold` px (failures count as NaN or +inf).
double successRate(const std::vector<double>& checkRmse, double threshold = 3.0);

}  // namespace mmreg::metrics
