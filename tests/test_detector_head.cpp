// The learned part of the detection head (issue 14): untrained it scores exactly the peakiness
// detector's score, a smoke training on a real aligned crop lowers
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

DetectorHead perturbedHead() {
  torch::manual_seed(5);
  DetectorHead net;
  torch::NoGradGuard g;
  net->last->weight.normal_(0, 0.1);
  return net;
}

}  // namespace

TEST(DetectorHead, UntrainedScoresThePeakinessExactly) {
  const auto img = mmreg_test::s1s2SampleWindow(false, 400, 300, 128);
  const auto in = detectorInput(img);
  DetectorHead net;
  torch::NoGradGuard g;
  EXPECT_TRUE(torch::equal(net->forward(in), peakinessOf(in)));
  // The peakiness it reads is the peakiness detector's score map.
  mmreg::StructuralFeatureOptions raw;
  raw.normalisation = mmreg::StructuralFeatureOptions::Normalisation::None;
  const auto cvScore = mmreg::peakinessScore(mmreg::structuralFeatures(img, raw));
  const auto t = peakinessOf(in)[0][0].contiguous();
  EXPECT_EQ(cv::norm(cvScore, cv::Mat(128, 128, CV_32F, t.data_ptr<float>()), cv::NORM_INF), 0.0);
}

TEST(DetectorHead, SmokeTrainingTowardsTheOtherModalitysMapLowersTheLoss) {
  // The optical map learns to look like the SAR map of the same place (a stand-in for the
  // trainer's repeatability loss, which needs warps): the correction can move the scores.
  const auto a = detectorInput(mmreg_test::s1s2SampleWindow(false, 400, 300, 96));
  const auto b = detectorInput(mmreg_test::s1s2SampleWindow(true, 400, 300, 96));
  torch::manual_seed(3);
  DetectorHead net;
  torch::Tensor target;
  {
    torch::NoGradGuard g;
    target = peakinessOf(b);
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
  const auto in = detectorInput(mmreg_test::s1s2SampleWindow(true, 600, 600, 96));
  auto net = perturbedHead();
  torch::NoGradGuard g;
  const auto first = net->forward(in);
  EXPECT_TRUE(torch::equal(first, net->forward(in)));
  EXPECT_FALSE(torch::allclose(first, peakinessOf(in)));  // the correction is really there
  EXPECT_TRUE(torch::equal(first, perturbedHead()->forward(in)));
  const std::string path = ::testing::TempDir() + "/detector_head_roundtrip.pt";
  saveDetectorHead(net, path);
  auto loaded = loadDetectorHead(path, torch::kCPU);
  EXPECT_TRUE(torch::equal(first, loaded->forward(in)));
  std::remove(path.c_str());
  EXPECT_THROW(loadDetectorHead(mmreg_test::sampleData() + "/README.md", torch::kCPU), mmreg::Error);
}

TEST(DetectorHead, AsADetectorUntrainedItFindsThePeakinessDetectorsPointsExactly) {
  const auto img = mmreg_test::s1s2SampleWindow(false, 400, 300, 256);
  const TrainedPeakinessDetector untrained{DetectorHead{}};
  const auto kt = untrained.detect(img, 60), kp = mmreg::makeDetector("peakiness")->detect(img, 60);
  ASSERT_EQ(kt.size(), 60u);
  for (size_t i = 1; i < kt.size(); ++i) ASSERT_GE(kt[i - 1].score, kt[i].score);
  ASSERT_EQ(kp.size(), kt.size());
  for (size_t i = 0; i < kt.size(); ++i) {
    EXPECT_EQ(kt[i].pos.x, kp[i].pos.x) << "keypoint " << i;
    EXPECT_EQ(kt[i].pos.y, kp[i].pos.y) << "keypoint " << i;
  }
  // The shipped head loads through the registry.
  mmreg::registerLearnedModels();
  EXPECT_EQ(mmreg::makeDetector("peakiness-trained")->detect(img, 60).size(), 60u);
}

TEST(DetectorHeadTrainer, SmokeTrainingRunsAndResumes) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/detector_head_smoke.pt";
  const std::string common = "--data " + mmreg_test::sharedData() +
                             " --batch 2 --crop 96 --max-pairs 2 --val-pairs 2 --fixed-batch --lr 3e-3 --threads 2 --seed 3 --log-every 5 --out " + out;
  std::string first;
  ASSERT_EQ(mmreg_test::trainerSmokeAndResumeProblem(MMREG_DETECTOR_HEAD_TRAINER, common, &first), "");
  EXPECT_NE(first.find("repeatability@3px of the corners"), std::string::npos) << first;  // the baseline it must beat
  EXPECT_NO_THROW(loadDetectorHead(out, torch::kCPU));
  for (const char* s : {"", ".last", ".last.optim", ".last.state"}) std::remove((out + s).c_str());
}
