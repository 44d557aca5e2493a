// The cross-fusion head on the learned backbone (issue 14): the positional encoding against hand
// values, descriptor blocks as the NCC of pooled descriptors, the untrained head is that NCC,
// swapping the tiles transposes the matrix, candidates, mutual matches, save/load and
// determinism, positives that correspond under the warp on a real image, the trainer's smoke run
// and resume, and the shipped matcher on a real tile with a known shift.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "nets/cross_fusion_head.h"
#include "nets/torch_support.h"
#include "nets/learned_matcher.h"
#include "features/corner_detector.h"
#include "test_support.h"
#include "training/keypoint_sets.h"

using namespace mmreg::nets;

namespace {

CrossFusionHeadOptions small() {
  CrossFusionHeadOptions o;
  o.channels = 3;
  o.block = 16;
  o.cells = 4;
  o.dim = 16;
  o.layers = 2;
  return o;
}

// A head whose learned parts are not zero (as after training), reproducibly.
CrossFusionHead perturbedHead(const CrossFusionHeadOptions& o, int seed) {
  torch::manual_seed(seed);
  CrossFusionHead net(o);
  torch::NoGradGuard g;
  for (auto& p : net->named_parameters())
    if (p.key() != "scale" && p.key() != "offset") p.value().normal_(0, 0.3);
  net->eval();
  return net;
}

// Unit-length random blocks (N, K).
torch::Tensor randomBlocks(int64_t n, const CrossFusionHeadOptions& o) {
  const auto b = torch::randn({n, int64_t{o.channels} * o.cells * o.cells});
  return b / b.norm(2, 1, true);
}

// A window of a pair's optical side moved by (dx, dy) and padded by `pad`, preprocessed.
mmreg::Image opticalWindow(const mmreg::AlignedPair& p, int dx, int dy, int pad) {
  const auto r = mmreg::GeoRaster::open(p.reference.path);
  const auto& w = p.reference.window;
  const mmreg::PixelWindow win{w.x + dx - pad, w.y + dy - pad, w.width + 2 * pad, w.height + 2 * pad};
  std::vector<mmreg::Image> bands;
  for (int b : p.reference.bands) bands.push_back(r.readWindow(b, win, win.width, win.height));
  return mmreg::preprocess(mmreg::combineBands(bands), mmreg::Modality::Optical);
}

}  // namespace

TEST(PositionalEncoding, MatchesHandValues) {
  const auto pe = positionalEncoding(torch::tensor({3.0f, 5.0f}).view({1, 2}), 8);
  ASSERT_EQ(pe.sizes(), (std::vector<int64_t>{1, 8}));
  // dim 8: frequencies 1 and 1/10000^(4/8) = 0.01; x first, then y; sin and cos interleaved.
  const double want[8] = {std::sin(3.0), std::cos(3.0), std::sin(0.03), std::cos(0.03),
                          std::sin(5.0), std::cos(5.0), std::sin(0.05), std::cos(0.05)};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(pe[0][i].item<double>(), want[i], 1e-6) << i;
  EXPECT_THROW(positionalEncoding(torch::zeros({1, 2}), 6), mmreg::Error);
}

// A block is unit length and zero-mean per channel; the same content moved by whole pixels gives
// the same block at the moved centre (NCC 1), another place a lower NCC.
TEST(DescriptorBlocks, AreTheNccOfPooledDescriptorsAndFollowTheContent) {
  torch::manual_seed(2);
  const auto smooth = torch::nn::functional::avg_pool2d(torch::rand({1, 3, 80, 80}), torch::nn::functional::AvgPool2dFuncOptions(5).stride(1));
  const auto moved = torch::roll(smooth, {3, -5}, {2, 3});  // content moves by (-5, +3)
  const auto a = descriptorBlocks(smooth, torch::tensor({30.5f, 35.5f, 50.5f, 20.5f}).view({2, 2}), 16, 4);
  const auto b = descriptorBlocks(moved, torch::tensor({25.5f, 38.5f, 45.5f, 23.5f}).view({2, 2}), 16, 4);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{2, 48}));
  EXPECT_NEAR(a[0].norm().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(a[0].view({3, 16}).mean(1).abs().max().item<double>(), 0.0, 1e-6);
  const auto ncc = a.matmul(b.t());
  EXPECT_NEAR(ncc[0][0].item<double>(), 1.0, 1e-4);
  EXPECT_NEAR(ncc[1][1].item<double>(), 1.0, 1e-4);
  EXPECT_LT(ncc[0][1].item<double>(), 0.9);
}

// Untrained, the logits are scale * (NCC - offset) exactly: the head ranks pairs as the NCC of
// the descriptor blocks does.
TEST(CrossFusionHead, UntrainedIsTheNccOfTheBlocks) {
  torch::manual_seed(3);
  const auto o = small();
  CrossFusionHead net(o);
  net->eval();
  torch::NoGradGuard g;
  const auto a = randomBlocks(5, o), b = randomBlocks(7, o);
  const auto logits = net->forward(a, torch::rand({5, 2}) * 200, b, torch::rand({7, 2}) * 200);
  EXPECT_TRUE(torch::allclose(logits, 10.0 * (a.matmul(b.t()) - 0.3), 1e-5, 1e-5)) << logits;
  // And the learned parts, once moved, change it; resetResidual() undoes that.
  auto trained = perturbedHead(o, 4);
  const auto pa = torch::rand({5, 2}) * 200, pb = torch::rand({7, 2}) * 200;
  EXPECT_GT((trained->forward(a, pa, b, pb) - 10.0 * (a.matmul(b.t()) - 0.3)).abs().max().item<double>(), 1e-3);
  trained->resetResidual();
  EXPECT_TRUE(torch::allclose(trained->forward(a, pa, b, pb), 10.0 * (a.matmul(b.t()) - 0.3), 1e-5, 1e-5));
}

TEST(CrossFusionHead, SwappingTheTilesTransposesTheMatrixAndEachSideSeesTheOther) {
  const auto o = small();
  auto net = perturbedHead(o, 11);
  torch::NoGradGuard g;
  const auto a = randomBlocks(5, o), b = randomBlocks(7, o);
  const auto xa = torch::rand({5, 2}) * 512, xb = torch::rand({7, 2}) * 512;
  const auto ab = net->forward(a, xa, b, xb), ba = net->forward(b, xb, a, xa);
  ASSERT_EQ(ab.sizes(), (std::vector<int64_t>{5, 7}));
  EXPECT_TRUE(torch::allclose(ab, ba.t(), 1e-4, 1e-5)) << (ab - ba.t()).abs().max().item<double>();
  // Cross-attention: A's row scores against the same B column move when the other B tokens change.
  const auto other = randomBlocks(7, o);
  auto changed = torch::cat({b.slice(0, 0, 1), other.slice(0, 1)});
  EXPECT_GT((net->forward(a, xa, changed, xb).select(1, 0) - ab.select(1, 0)).abs().max().item<double>(), 1e-4);
}

// Only candidate pairs (the pipeline's search-margin gate) score, as in the full matrix.
TEST(CrossFusionHead, CandidatePairsScoreAsInTheFullMatrix) {
  const auto o = small();
  auto net = perturbedHead(o, 14);
  torch::NoGradGuard g;
  const auto a = randomBlocks(6, o), b = randomBlocks(9, o);
  const auto xa = torch::rand({6, 2}) * 256, xb = torch::rand({9, 2}) * 256;
  const auto candidates = torch::rand({6, 9}) < 0.4;
  const auto full = net->forward(a, xa, b, xb), gated = net->forward(a, xa, b, xb, candidates);
  EXPECT_TRUE(torch::equal(gated.masked_select(candidates), full.masked_select(candidates)));
  EXPECT_TRUE(torch::isinf(gated.masked_select(candidates.logical_not())).all().item<bool>());
}

TEST(CrossFusionHead, MutualMatchesOfAHandMadeMatrix) {
  const auto m = torch::tensor({0.9f, 0.1f, 0.2f,    // row 0 <-> column 0
                                0.3f, 0.4f, 0.35f,   // row 1's best is column 1, whose best is row 2
                                0.1f, 0.8f, 0.05f,   // row 2 <-> column 1
                                0.2f, 0.1f, 0.45f})  // row 3 <-> column 2, below the threshold
                     .view({4, 3});
  const auto k = mutualMatches(m, 0.5);
  ASSERT_EQ(k.size(0), 2);
  EXPECT_EQ(k[0][0].item<float>(), 0);
  EXPECT_EQ(k[0][1].item<float>(), 0);
  EXPECT_EQ(k[1][0].item<float>(), 2);
  EXPECT_EQ(k[1][1].item<float>(), 1);
  EXPECT_EQ(mutualMatches(m, 0.2).size(0), 3);
  EXPECT_EQ(mutualMatches(torch::zeros({0, 3}), 0.5).size(0), 0);
}

TEST(CrossFusionHead, WeightsSurviveSaveAndLoadAndInferenceIsDeterministic) {
  const auto o = small();
  auto a = perturbedHead(o, 13);
  const std::string path = ::testing::TempDir() + "/cross_fusion_roundtrip.pt";
  saveCrossFusionHead(a, path);
  auto b = loadCrossFusionHead(path, torch::kCPU);  // the architecture comes from the file
  EXPECT_EQ(b->options.block, o.block);
  EXPECT_EQ(b->options.cells, o.cells);
  EXPECT_EQ(b->options.dim, o.dim);
  EXPECT_EQ(b->options.layers, o.layers);
  torch::NoGradGuard g;
  const auto ba = randomBlocks(3, o), bb = randomBlocks(4, o);
  const auto xa = torch::rand({3, 2}) * 64, xb = torch::rand({4, 2}) * 64;
  EXPECT_TRUE(torch::equal(a->forward(ba, xa, bb, xb), b->forward(ba, xa, bb, xb)));
  EXPECT_TRUE(torch::equal(b->forward(ba, xa, bb, xb), b->forward(ba, xa, bb, xb)));
  std::remove(path.c_str());
  EXPECT_THROW(loadCrossFusionHead(path, torch::kCPU), mmreg::Error);
}

// On a real optical image against itself, warped: every positive's sensed token lies within
// 2.5 px of where the warp puts its reference keypoint, and its descriptor block agrees with the
// reference's far better than the candidates that are not matches.
TEST(KeypointSets, PositivesCorrespondUnderTheWarp) {
  const auto image = imageTensor(mmreg_test::s1s2SampleWindow(false, 200, 200, 256)).clone();
  const mmreg::training::LoadedPair pair{image, image, "sample", false};
  const LearnedFeatures features(mmreg::LearnedModelOptions{});
  mmreg::training::KeypointSampling o;
  o.crop = 256;
  o.sensedChanges = 0;  // the image as it is
  std::mt19937 rng(5);
  const auto s = mmreg::training::sampleKeypointSets(pair, features, mmreg::CornerDetector(), CrossFusionHeadOptions{}, o, rng);
  ASSERT_GE(s.positionsA.size(0), 20);
  ASSERT_GT(s.pointsB.size(0), s.detectedB);  // tokens at the truth were added
  const auto positive = s.labels > 0.5, negative = s.labels.abs() < 0.5;
  ASSERT_GE(positive.sum().item<int64_t>(), 20);
  const auto distance = (s.truthInB.unsqueeze(1) - s.pointsB.unsqueeze(0)).norm(2, -1);
  EXPECT_LE(distance.masked_select(positive).max().item<double>(), 2.5);
  const auto ncc = s.blocksA.matmul(s.blocksB.t());
  const double pos = ncc.masked_select(positive).mean().item<double>(), neg = ncc.masked_select(negative).mean().item<double>();
  EXPECT_GT(pos, 0.6);
  EXPECT_GT(pos, neg + 0.3) << pos << " " << neg;
}

// The trainer's smoke run, as CI does it: a few iterations on one fixed batch of real training
// pairs; the loss must fall and --resume continue (mmreg_test::trainerSmokeAndResumeProblem).
TEST(CrossFusionTrainer, SmokeTrainingLowersTheLossAndResumes) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/cross_fusion_smoke.pt";
  const std::string common = "--data " + mmreg_test::sharedData() +
                             // No modality changes: their speckle comes from LibTorch's generator, so the batch would not be fixed.
                             " --batch 2 --crop 128 --dim 16 --layers 1 --max-pairs 2 --val-pairs 2 --fixed-batch --sensed-changes 0 --lr 3e-3 --threads 2"
                             " --seed 3 --log-every 5 --out " + out;
  std::string first;
  ASSERT_EQ(mmreg_test::trainerSmokeAndResumeProblem(MMREG_CROSS_FUSION_TRAINER, common, &first), "");
  EXPECT_NE(first.find("NN mAP of the NCC of the descriptor blocks"), std::string::npos) << first;  // the baseline it must beat
  EXPECT_NO_THROW(loadCrossFusionHead(out, torch::kCPU));
  for (const char* s : {"", ".last", ".last.optim", ".last.state"}) std::remove((out + s).c_str());
}

// --iterations 0 writes the head as it starts: the untrained baseline that CROSS_FUSION.md runs.
TEST(CrossFusionTrainer, NoIterationsWritesTheUntrainedHead) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/cross_fusion_untrained.pt";
  std::remove(out.c_str());
  const auto r = mmreg_test::runProgram(MMREG_CROSS_FUSION_TRAINER, "--data " + mmreg_test::sharedData() +
                                                                        " --iterations 0 --dim 16 --layers 1 --max-pairs 2 --val-pairs 2"
                                                                        " --threads 2 --out " + out);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto net = loadCrossFusionHead(out, torch::kCPU);
  EXPECT_EQ(net->bilinear.abs().max().item<double>(), 0.0);
  torch::NoGradGuard g;
  const auto o = net->options;
  const auto a = randomBlocks(4, o), b = randomBlocks(5, o);
  EXPECT_TRUE(torch::allclose(net->forward(a, torch::rand({4, 2}) * 99, b, torch::rand({5, 2}) * 99), 10.0 * (a.matmul(b.t()) - 0.3), 1e-5, 1e-5));
  std::remove(out.c_str());
}

// The shipped backbone and head, as the pipeline calls them, on a real optical tile against
// itself moved by a known shift: matches are mutual, above the score threshold, inside the search
// margin, each keypoint used once; and the true shift is the one most matches agree with, which is
// what the global RANSAC needs. Across sensors is the benchmark's question. With sensed tokens at
// the sensed corners (0) and every 4 px (the benchmark's learned-grid4).
class LearnedMatcherSensedTokens : public ::testing::TestWithParam<int> {};

TEST_P(LearnedMatcherSensedTokens, ShippedModelsMatchAShiftedTileInTheReferenceFrame) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  const int margin = 16, dx = 8, dy = -16;
  const auto ref = opticalWindow(pair, 0, 0, 0);
  const auto sen = opticalWindow(pair, -dx, -dy, margin);  // content moved by (dx, dy)
  const LearnedMatcher matcher(mmreg::LearnedModelOptions{}, nullptr, GetParam());
  const auto matches = matcher.match(ref, sen, margin);
  ASSERT_GE(matches.size(), 8u);
  std::set<std::pair<double, double>> refs, sensed;
  const double tolerance = std::max(1, GetParam() / 2);  // grid tokens sit up to half a step off (the refinement's job)
  auto agreeing = [&](int sx, int sy) {
    return std::count_if(matches.begin(), matches.end(), [&](const mmreg::TileMatch& m) {
      return std::max(std::abs(m.sensed.x - m.ref.x - sx), std::abs(m.sensed.y - m.ref.y - sy)) <= tolerance;
    });
  };
  for (const auto& m : matches) {
    EXPECT_LE(std::hypot(m.sensed.x - m.ref.x, m.sensed.y - m.ref.y), margin * std::sqrt(2.0) + 2);
    EXPECT_GE(m.score, LearnedMatcher::kMinScore);
    refs.insert({m.ref.x, m.ref.y}), sensed.insert({m.sensed.x, m.sensed.y});
  }
  EXPECT_EQ(refs.size(), matches.size());  // mutual: no keypoint used twice
  EXPECT_EQ(sensed.size(), matches.size());
  const auto right = agreeing(dx, dy);
  // A grid offers every place as a candidate, so more wrong pairs survive as mutual best; the
  // RANSAC needs the true shift to keep a clear majority.
  EXPECT_GE(right, (GetParam() == 0 ? 0.8 : 0.6) * matches.size()) << "of " << matches.size();
}

INSTANTIATE_TEST_SUITE_P(CornersAndGrid, LearnedMatcherSensedTokens, ::testing::Values(0, 4));
