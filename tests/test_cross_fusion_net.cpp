// The cross-fusion matcher's building blocks (issue 5): the positional encoding against hand
// values, symmetry (swapping the tiles transposes the matching matrix), shapes and range,
// mutual matches on a hand-made matrix, standardised patches, save/load and determinism, smoke
// training; the shipped learned matcher on a real tile with a known shift.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "nets/cross_fusion_net.h"
#include "nets/learned_matcher.h"
#include "test_support.h"

using namespace mmreg::nets;

namespace {

CrossFusionOptions small() {
  CrossFusionOptions o;
  o.patchSize = 32;
  o.dim = 32;
  o.layers = 2;
  return o;
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

TEST(PositionalEncoding, SeparatesNearbyAndDistantPositions) {
  const auto pe = positionalEncoding(torch::tensor({10.0f, 10.0f, 11.0f, 10.0f, 10.0f, 11.0f, 400.0f, 10.0f}).view({4, 2}), 64);
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) EXPECT_GT((pe[i] - pe[j]).norm().item<double>(), 0.1) << i << " " << j;
}

TEST(CrossFusionNet, SwappingTheTilesTransposesTheMatrix) {
  torch::manual_seed(11);
  CrossFusionNet net(small());
  net->eval();
  torch::NoGradGuard g;
  const auto pa = torch::rand({5, 1, 32, 32}), pb = torch::rand({7, 1, 32, 32});
  const auto xa = torch::rand({5, 2}) * 512, xb = torch::rand({7, 2}) * 512;
  const auto ab = net->forward(pa, xa, pb, xb), ba = net->forward(pb, xb, pa, xa);
  ASSERT_EQ(ab.sizes(), (std::vector<int64_t>{5, 7}));
  EXPECT_TRUE(torch::allclose(ab, ba.t(), 1e-5, 1e-6)) << (ab - ba.t()).abs().max().item<double>();
  EXPECT_GE(ab.min().item<double>(), 0.0);
  EXPECT_LE(ab.max().item<double>(), 1.0);
}

// Scoring only candidate pairs (the pipeline's search-margin gate) gives the full matrix's
// scores there and 0 elsewhere.
TEST(CrossFusionNet, CandidatePairsScoreAsInTheFullMatrix) {
  torch::manual_seed(14);
  CrossFusionNet net(small());
  net->eval();
  torch::NoGradGuard g;
  const auto pa = torch::rand({6, 1, 32, 32}), pb = torch::rand({9, 1, 32, 32});
  const auto xa = torch::rand({6, 2}) * 256, xb = torch::rand({9, 2}) * 256;
  const auto candidates = torch::rand({6, 9}) < 0.4;
  const auto full = net->forward(pa, xa, pb, xb), gated = net->forward(pa, xa, pb, xb, candidates);
  EXPECT_TRUE(torch::allclose(gated, full * candidates.to(torch::kFloat), 1e-5, 1e-6));
}

// Standardised patches: a change of gain and offset on one side (another sensor's radiometry)
// leaves the encoder's outputs and the matching matrix as they were; without standardising the
// encoder's outputs move.
TEST(CrossFusionNet, StandardisedPatchesIgnoreGainAndOffset) {
  torch::manual_seed(15);
  auto options = small();
  CrossFusionNet net(options);
  options.standardizePatches = false;
  CrossFusionNet raw(options);
  net->eval(), raw->eval();
  torch::NoGradGuard g;
  const auto pa = torch::rand({4, 1, 32, 32}), pb = torch::rand({5, 1, 32, 32});
  const auto xa = torch::rand({4, 2}) * 128, xb = torch::rand({5, 2}) * 128;
  const auto rescaled = pb * 3 + 0.5;
  EXPECT_TRUE(torch::allclose(net->forward(pa, xa, pb, xb), net->forward(pa, xa, rescaled, xb), 1e-2, 1e-3));
  auto change = [&](CrossFusionNet& n) {  // of B's encoder outputs, relative
    const auto before = n->encode(pa, pb).second, after = n->encode(pa, rescaled).second;
    return ((after - before).norm() / before.norm()).item<double>();
  };
  EXPECT_LT(change(net), 1e-2);
  EXPECT_GT(change(raw), 0.1);
}

TEST(CrossFusionNet, EachSideSeesTheOther) {
  // Cross-attention: A's descriptors change when B's patches change.
  torch::manual_seed(12);
  CrossFusionNet net(small());
  net->eval();
  torch::NoGradGuard g;
  const auto pa = torch::rand({4, 1, 32, 32}), xa = torch::rand({4, 2}) * 100, xb = torch::rand({3, 2}) * 100;
  const auto d1 = net->descriptors(pa, xa, torch::rand({3, 1, 32, 32}), xb).first;
  const auto d2 = net->descriptors(pa, xa, torch::rand({3, 1, 32, 32}), xb).first;
  ASSERT_EQ(d1.sizes(), (std::vector<int64_t>{4, 32}));
  EXPECT_GT((d1 - d2).abs().max().item<double>(), 1e-4);
}

TEST(CrossFusionNet, MutualMatchesOfAHandMadeMatrix) {
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

TEST(CrossFusionNet, WeightsSurviveSaveAndLoadAndInferenceIsDeterministic) {
  torch::manual_seed(13);
  auto options = small();
  options.positional = false;
  options.keepLayout = false;
  options.standardizePatches = false;
  CrossFusionNet a(options);
  const std::string path = ::testing::TempDir() + "/crossfusion_roundtrip.pt";
  saveMatcher(a, path);
  CrossFusionNet b = loadMatcher(path, torch::kCPU);  // the options come from the file
  EXPECT_EQ(b->options.patchSize, a->options.patchSize);
  EXPECT_EQ(b->options.dim, a->options.dim);
  EXPECT_EQ(b->options.layers, a->options.layers);
  EXPECT_EQ(b->options.widthMultiplier, a->options.widthMultiplier);
  EXPECT_FALSE(b->options.positional);
  EXPECT_FALSE(b->options.keepLayout);
  EXPECT_FALSE(b->options.standardizePatches);
  a->eval();
  torch::NoGradGuard g;
  const auto pa = torch::rand({3, 1, 32, 32}), pb = torch::rand({4, 1, 32, 32});
  const auto xa = torch::rand({3, 2}) * 64, xb = torch::rand({4, 2}) * 64;
  // The file holds 16-bit floats: equal to their precision.
  EXPECT_TRUE(torch::allclose(a->forward(pa, xa, pb, xb), b->forward(pa, xa, pb, xb), 1e-2, 1e-3));
  EXPECT_TRUE(torch::equal(b->forward(pa, xa, pb, xb), b->forward(pa, xa, pb, xb)));
  EXPECT_TRUE(torch::equal(a->forward(pa, xa, pb, xb), a->forward(pa, xa, pb, xb)));
  std::remove(path.c_str());
}

// The matcher trainer's smoke run, as CI does it: a few iterations on one fixed batch of real
// training pairs, warped and sampled as in training; the loss must fall.
TEST(MatcherTrainer, SmokeTrainingLowersTheLoss) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/matcher_smoke.pt";
  const auto r = mmreg_test::runProgram(MMREG_MATCHER_TRAINER, "--data " + mmreg_test::sharedData() +
                                                                   " --iterations 30 --crop 96 --patch 32 --positives 6 --dim 32"
                                                                   " --layers 2 --log-every 10 --max-pairs 4 --fixed-batch --lr 1e-3 --encoder-loss 1"
                                                                   " --threads 2 --seed 3 --out " + out);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto losses = mmreg_test::trainingLosses(r.output);
  ASSERT_EQ(losses.size(), 3u) << r.output;
  EXPECT_LT(losses.back(), 0.8 * losses.front()) << r.output;
  std::remove(out.c_str());
}

// The shipped detector and matcher, as the pipeline calls them, on a real optical tile against
// itself moved by a known shift: matches are mutual, above the score threshold, inside the
// search margin, inside both tiles, each keypoint used once; and the true shift is the one
// most matches agree with (within 3 px: the two tiles' keypoints need not coincide), which is
// what the global RANSAC needs. Across sensors is the benchmark's question.
TEST(LearnedMatcher, ShippedModelsMatchAShiftedTileInTheReferenceFrame) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pair = mmreg_test::threeMosPair("SEN_city", 3);
  const int margin = 16, dx = 8, dy = -16;
  const auto ref = opticalWindow(pair, 0, 0, 0);
  const auto sen = opticalWindow(pair, -dx, -dy, margin);  // content moved by (dx, dy)
  mmreg::LearnedModelOptions o;
  o.threads = 2;
  const LearnedMatcher matcher(o);
  const auto matches = matcher.match(ref, sen, margin);
  ASSERT_GE(matches.size(), 8u);
  std::set<std::pair<double, double>> refs, sensed;
  auto agreeing = [&](int sx, int sy) {
    return std::count_if(matches.begin(), matches.end(), [&](const mmreg::TileMatch& m) {
      return std::max(std::abs(m.sensed.x - m.ref.x - sx), std::abs(m.sensed.y - m.ref.y - sy)) <= 3;
    });
  };
  for (const auto& m : matches) {
    EXPECT_LE(std::hypot(m.sensed.x - m.ref.x, m.sensed.y - m.ref.y), margin * std::sqrt(2.0) + 2);
    EXPECT_GE(m.score, LearnedMatcher::kMinScore);
    EXPECT_TRUE(m.ref.x >= 0 && m.ref.y >= 0 && m.ref.x <= ref.width && m.ref.y <= ref.height);
    EXPECT_TRUE(m.sensed.x >= -margin && m.sensed.y >= -margin && m.sensed.x <= ref.width + margin && m.sensed.y <= ref.height + margin);
    refs.insert({m.ref.x, m.ref.y}), sensed.insert({m.sensed.x, m.sensed.y});
  }
  EXPECT_EQ(refs.size(), matches.size());  // mutual: no keypoint used twice
  EXPECT_EQ(sensed.size(), matches.size());
  const auto right = agreeing(dx, dy);
  EXPECT_GE(right, 8) << "of " << matches.size();
  for (int sy = -margin; sy <= margin; ++sy)
    for (int sx = -margin; sx <= margin; ++sx)
      if (std::max(std::abs(sx - dx), std::abs(sy - dy)) > 3) EXPECT_LT(agreeing(sx, sy), right) << sx << ", " << sy;
}
