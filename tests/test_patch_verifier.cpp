// The patch-pair verifier (issue 14): untrained it ranks pairs exactly as the NCC baseline,
// its NCC is the area matcher's, the patch pairs and FPR95 it is scored by, a smoke training on
// real crops lowers the loss, save/load and determinism, and the trainer's run and resume.
#include <gtest/gtest.h>

#include <cstdio>
#include <opencv2/core.hpp>
#include <random>

#include "features/dense_features.h"
#include "features/fft_ncc.h"
#include "mmreg/error.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "nets/patch_verifier.h"
#include "test_support.h"
#include "training/patch_pairs.h"

using namespace mmreg::nets;
using namespace mmreg::training;

namespace {

// Positives and negatives from a real SAR-optical crop, 32 px blocks (the tests stay quick).
PatchPairs realPatchPairs(unsigned seed, int centres = 24, double hardShare = 0.5) {
  const mmreg::StructuralDenseFeatures features;
  const auto d = describePair(features, mmreg_test::s1s2SampleWindow(false, 300, 300, 256), mmreg_test::s1s2SampleWindow(true, 300, 300, 256),
                              mmreg::Modality::Sar);
  PatchSampling s;
  s.patch = 32, s.centres = centres, s.hardShare = hardShare;
  std::mt19937 rng(seed);
  return samplePatchPairs(d, s, rng);
}

PatchVerifierOptions smallBlocks() {
  PatchVerifierOptions o;
  o.patch = 32;
  return o;
}

// A verifier whose learned part is not zero (as after training), reproducibly.
PatchVerifier perturbedVerifier() {
  torch::manual_seed(5);
  PatchVerifier net(smallBlocks());
  torch::NoGradGuard g;
  net->out->weight.normal_(0, 0.5);
  return net;
}

}  // namespace

TEST(PatchPairs, BalancedPositivesAndNegativesFromARealPair) {
  const auto q = realPatchPairs(1);
  ASSERT_TRUE(q.label.defined());
  ASSERT_EQ(q.a.sizes(), q.b.sizes());
  EXPECT_EQ(q.a.size(0), 48);  // 24 centres with structure and data: one positive and one negative each
  EXPECT_EQ(q.label.sum().item<double>(), 24);
  EXPECT_EQ(q.a.size(2), 32);
  // Positives correlate better than negatives at random wrong offsets, even on SAR (not better
  // than the NCC's own best wrong peaks: on 32 px SAR blocks those often win, which is the
  // verifier's job).
  const auto easy = realPatchPairs(1, 24, 0);
  const auto ncc = blockNcc(easy.a, easy.b);
  EXPECT_GT(ncc.masked_select(easy.label > 0.5).mean().item<double>(), ncc.masked_select(easy.label < 0.5).mean().item<double>() + 0.02);
  // The same draw from the same seed.
  EXPECT_TRUE(torch::equal(realPatchPairs(1).b, q.b));
}

TEST(PatchPairs, Fpr95AndRocAucOnKnownScores) {
  std::vector<float> scores, labels;
  for (int i = 1; i <= 20; ++i) scores.push_back(static_cast<float>(i)), labels.push_back(1);   // 19 of 20 reach 2
  for (int i = 0; i < 10; ++i) scores.push_back(i + 0.5f), labels.push_back(0);                  // 8 of 10 reach 2
  EXPECT_NEAR(fpr95(torch::tensor(scores), torch::tensor(labels)), 0.8, 1e-12);
  // Of the 200 positive-negative pairs, the positive i outscores the negatives below it: 155.
  EXPECT_NEAR(rocAuc(torch::tensor(scores), torch::tensor(labels)), 155.0 / 200, 1e-12);
}

TEST(PatchVerifier, BlockNccIsTheAreaMatchersCorrelation) {
  const auto q = realPatchPairs(2, 4);
  ASSERT_TRUE(q.label.defined());
  const auto ncc = blockNcc(q.a, q.b);
  for (int64_t n = 0; n < q.a.size(0); ++n) {
    std::vector<cv::Mat> ta, tb;
    for (int64_t c = 0; c < q.a.size(1); ++c) {
      ta.push_back(cv::Mat(32, 32, CV_32F, q.a[n][c].contiguous().data_ptr<float>()).clone());
      tb.push_back(cv::Mat(32, 32, CV_32F, q.b[n][c].contiguous().data_ptr<float>()).clone());
    }
    EXPECT_NEAR(ncc[n].item<double>(), mmreg::multiChannelNcc(ta, tb).at<double>(0, 0), 1e-4) << "pair " << n;
  }
}

TEST(PatchVerifier, UntrainedRanksPairsExactlyAsTheNcc) {
  const auto q = realPatchPairs(3);
  PatchVerifier net(smallBlocks());
  torch::NoGradGuard g;
  const auto logits = net->forward(q.a, q.b), ncc = blockNcc(q.a, q.b);
  EXPECT_LT((logits - 10 * (ncc - 0.3)).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(fpr95(logits, q.label), fpr95(ncc, q.label));
}

TEST(PatchVerifier, SmokeTrainingOnRealCropsLowersTheLoss) {
  const auto q = realPatchPairs(4);
  torch::manual_seed(3);
  PatchVerifier net(smallBlocks());
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(3e-3));
  std::vector<double> losses;
  for (int step = 0; step < 30; ++step) {
    opt.zero_grad();
    const auto loss = torch::binary_cross_entropy_with_logits(net->forward(q.a, q.b), q.label);
    loss.backward();
    opt.step();
    losses.push_back(loss.item<double>());
  }
  EXPECT_LT(losses.back(), 0.9 * losses.front()) << "first " << losses.front() << ", last " << losses.back();
}

TEST(PatchVerifier, SaveLoadRoundTripAndDeterminism) {
  const auto q = realPatchPairs(5, 8);
  auto net = perturbedVerifier();
  torch::NoGradGuard g;
  const auto first = net->forward(q.a, q.b);
  EXPECT_TRUE(torch::equal(first, net->forward(q.a, q.b)));
  EXPECT_GT((first - 10 * (blockNcc(q.a, q.b) - 0.3)).abs().max().item<double>(), 1e-3);  // the learned part is really there
  EXPECT_TRUE(torch::equal(first, perturbedVerifier()->forward(q.a, q.b)));
  const std::string path = ::testing::TempDir() + "/verifier_roundtrip.pt";
  saveVerifier(net, path);
  auto loaded = loadVerifier(path, torch::kCPU);
  EXPECT_EQ(loaded->options.patch, 32);
  EXPECT_TRUE(torch::equal(first, loaded->forward(q.a, q.b)));
  std::remove(path.c_str());
  try {
    loadVerifier(mmreg_test::sampleData() + "/README.md", torch::kCPU);
    ADD_FAILURE() << "a file that is not a verifier loaded";
  } catch (const mmreg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("mmreg_train_verifier"), std::string::npos) << e.what();
  }
}

TEST(VerifierTrainer, SmokeTrainingLowersTheLossAndResumes) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/verifier_smoke.pt";
  const std::string common = "--data " + mmreg_test::sharedData() +
                             " --batch 2 --crop 96 --patch 32 --centres 8 --max-pairs 2 --val-pairs 2"
                             " --fixed-batch --lr 3e-3 --threads 2 --seed 3 --log-every 5 --out " + out;
  std::string first;
  ASSERT_EQ(mmreg_test::trainerSmokeAndResumeProblem(MMREG_VERIFIER_TRAINER, common, &first), "");
  EXPECT_NE(first.find("FPR95 of the NCC of structural features"), std::string::npos) << first;  // the baseline it must beat
  EXPECT_NO_THROW(loadVerifier(out, torch::kCPU));
  const auto tooSmall = mmreg_test::runProgram(MMREG_VERIFIER_TRAINER, common + " --iterations 1 --crop 40");
  EXPECT_EQ(tooSmall.exitCode, 2) << tooSmall.output;
  EXPECT_NE(tooSmall.output.find("--crop must be at least"), std::string::npos) << tooSmall.output;
  for (const char* s : {"", ".last", ".last.optim", ".last.state"}) std::remove((out + s).c_str());
}
