// The learned part of the detection head (issue 14): untrained it scores exactly the peakiness,
// whose torch form agrees with the detector's, a smoke training on a real aligned crop lowers
// the loss, save/load and determinism, and the trainer's run and resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/core.hpp>

#include "features/peakiness_detector.h"
#include "features/structural_features.h"
#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "nets/detector_head.h"
#include "test_support.h"

using namespace mmreg::nets;

namespace {

mmreg::Image sampleWindow(bool sar, int x, int y, int side) {
  const auto r = mmreg::GeoRaster::open(mmreg_test::sampleData() + (sar ? "/s1s2_075_sensed.tif" : "/s1s2_075_ref.tif"));
  std::vector<mmreg::Image> bands;
  for (int b = 1; b <= (sar ? 1 : 3); ++b) bands.push_back(r.readWindow(b, {x, y, side, side}, side, side));
  return mmreg::preprocess(mmreg::combineBands(bands), sar ? mmreg::Modality::Sar : mmreg::Modality::Optical);
}

DetectorHead perturbedHead() {
  torch::manual_seed(5);
  DetectorHead net;
  torch::NoGradGuard g;
  net->last->weight.normal_(0, 0.1);
  return net;
}

}  // namespace

TEST(DetectorHead, UntrainedScoresThePeakinessExactly) {
  const auto in = detectorInput(sampleWindow(false, 400, 300, 128));
  DetectorHead net;
  torch::NoGradGuard g;
  EXPECT_TRUE(torch::equal(net->forward(in), peakinessMap(in)));
  // The torch peakiness is the detector's, up to how the two libraries treat borders: compare inside.
  mmreg::StructuralFeatureOptions raw;
  raw.normalisation = mmreg::StructuralFeatureOptions::Normalisation::None;
  const auto cvScore = mmreg::peakinessScore(mmreg::structuralFeatures(sampleWindow(false, 400, 300, 128), raw));
  const auto t = peakinessMap(in)[0][0].contiguous();
  const cv::Mat torchScore(128, 128, CV_32F, t.data_ptr<float>());
  const cv::Rect inner(8, 8, 112, 112);
  EXPECT_LT(cv::norm(cvScore(inner), torchScore(inner), cv::NORM_INF), 0.05 * cv::norm(cvScore(inner), cv::NORM_INF));
}

TEST(DetectorHead, SmokeTrainingTowardsTheOtherModalitysMapLowersTheLoss) {
  // The optical map learns to look like the SAR map of the same place (a stand-in for the
  // trainer's repeatability loss, which needs warps): the correction can move the scores.
  const auto a = detectorInput(sampleWindow(false, 400, 300, 96)), b = detectorInput(sampleWindow(true, 400, 300, 96));
  torch::manual_seed(3);
  DetectorHead net;
  torch::Tensor target;
  {
    torch::NoGradGuard g;
    target = peakinessMap(b);
    target = target / target.norm();
  }
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(3e-3));
  std::vector<double> losses;
  for (int step = 0; step < 20; ++step) {
    opt.zero_grad();
    const auto s = net->forward(a);
    const auto loss = 1 - (s / s.norm() * target).sum();
    loss.backward();
    opt.step();
    losses.push_back(loss.item<double>());
  }
  EXPECT_LT(losses.back(), 0.9 * losses.front()) << "first " << losses.front() << ", last " << losses.back();
}

TEST(DetectorHead, SaveLoadRoundTripAndDeterminism) {
  const auto in = detectorInput(sampleWindow(true, 600, 600, 96));
  auto net = perturbedHead();
  torch::NoGradGuard g;
  const auto first = net->forward(in);
  EXPECT_TRUE(torch::equal(first, net->forward(in)));
  EXPECT_FALSE(torch::allclose(first, peakinessMap(in)));  // the correction is really there
  EXPECT_TRUE(torch::equal(first, perturbedHead()->forward(in)));
  const std::string path = ::testing::TempDir() + "/detector_head_roundtrip.pt";
  saveDetectorHead(net, path);
  auto loaded = loadDetectorHead(path, torch::kCPU);
  EXPECT_TRUE(torch::equal(first, loaded->forward(in)));
  std::remove(path.c_str());
  EXPECT_THROW(loadDetectorHead(mmreg_test::sampleData() + "/README.md", torch::kCPU), mmreg::Error);
}

TEST(DetectorHead, AsADetectorUntrainedItFindsThePeakinessDetectorsPoints) {
  const auto img = sampleWindow(false, 400, 300, 256);
  const TrainedPeakinessDetector untrained{DetectorHead{}};
  const auto kt = untrained.detect(img, 60), kp = mmreg::makeDetector("peakiness")->detect(img, 60);
  ASSERT_EQ(kt.size(), 60u);
  for (size_t i = 1; i < kt.size(); ++i) ASSERT_GE(kt[i - 1].score, kt[i].score);
  int same = 0;
  for (const auto& p : kt)
    same += std::any_of(kp.begin(), kp.end(), [&](const mmreg::Keypoint& q) { return std::hypot(p.pos.x - q.pos.x, p.pos.y - q.pos.y) < 1; });
  EXPECT_GT(same, 45) << "of 60";  // the two libraries differ only at borders and in rounding
  // The shipped head loads through the registry.
  mmreg::registerLearnedModels();
  EXPECT_EQ(mmreg::makeDetector("peakiness-trained")->detect(img, 60).size(), 60u);
}

TEST(DetectorHeadTrainer, SmokeTrainingRunsAndResumes) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/detector_head_smoke.pt";
  const std::string common = "--data " + mmreg_test::sharedData() +
                             " --batch 2 --crop 96 --max-pairs 2 --val-pairs 2 --fixed-batch --lr 3e-3 --threads 2 --seed 3 --log-every 5 --out " + out;
  const auto first = mmreg_test::runProgram(MMREG_DETECTOR_HEAD_TRAINER, common + " --iterations 10");
  ASSERT_EQ(first.exitCode, 0) << first.output;
  EXPECT_NE(first.output.find("repeatability@3px of the corners"), std::string::npos) << first.output;
  const auto losses = mmreg_test::trainingLosses(first.output);
  ASSERT_EQ(losses.size(), 2u) << first.output;
  EXPECT_LT(losses.back(), losses.front()) << first.output;
  const auto resumed = mmreg_test::runProgram(MMREG_DETECTOR_HEAD_TRAINER, common + " --iterations 15 --resume");
  ASSERT_EQ(resumed.exitCode, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("iteration 15 "), std::string::npos) << resumed.output;
  EXPECT_NO_THROW(loadDetectorHead(out, torch::kCPU));
  for (const char* s : {"", ".last", ".last.optim", ".last.state"}) std::remove((out + s).c_str());
}
