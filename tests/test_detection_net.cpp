// The learned detector's building blocks (issue 4): shapes at odd sizes, the deformable conv
// against a naive reference, peakiness on a hand-made map, save/load and determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/learned_models.h"
#include "nets/detection_net.h"
#include "test_support.h"

using namespace mmreg::nets;

namespace {

double softplus(double v) { return std::log1p(std::exp(v)); }

// Bilinear sample of a (H, W) accessor at (y, x), zero outside, as grid_sample with
// align_corners and zero padding.
double bilinear(const torch::TensorAccessor<float, 2>& a, int64_t h, int64_t w, double y, double x) {
  const double y0 = std::floor(y), x0 = std::floor(x);
  double v = 0;
  for (int dy = 0; dy <= 1; ++dy)
    for (int dx = 0; dx <= 1; ++dx) {
      const int64_t yy = static_cast<int64_t>(y0) + dy, xx = static_cast<int64_t>(x0) + dx;
      const double wgt = (dy ? y - y0 : 1 - (y - y0)) * (dx ? x - x0 : 1 - (x - x0));
      if (yy >= 0 && yy < h && xx >= 0 && xx < w) v += wgt * a[yy][xx];
    }
  return v;
}

}  // namespace

TEST(DetectionNet, AnyTileSizeGivesFullSizeScoresInUnitRange) {
  torch::manual_seed(1);
  DetectionNet net;
  net->eval();
  torch::NoGradGuard g;
  for (auto [h, w] : {std::pair<int64_t, int64_t>{97, 131}, {64, 64}, {33, 200}}) {
    const auto out = net->forward(torch::rand({2, 1, h, w}));
    ASSERT_EQ(out.score.sizes(), (std::vector<int64_t>{2, 1, h, w}));
    for (const auto& s : out.stages) {
      ASSERT_EQ(s.sizes(), out.score.sizes());
      EXPECT_NEAR(s.max().item<float>(), 1.0f, 1e-5);  // each stage is scaled to a peak of 1
      EXPECT_GE(s.min().item<float>(), 0.0f);
    }
    EXPECT_LE(out.score.max().item<float>(), 1.0f + 1e-5);  // the fusion weights sum to 1
  }
}

TEST(DeformConv, MatchesANaiveReference) {
  torch::manual_seed(2);
  const int64_t c = 2, o = 3, h = 5, w = 6;
  DeformConv2d dcn(c, o);
  const auto x = torch::randn({1, c, h, w});
  const auto off = torch::rand({1, 18, h, w}) * 3 - 1.5;  // up to 1.5 px, some taps fall outside
  torch::NoGradGuard g;
  const auto y = dcn->forwardWithOffsets(x, off);
  const auto W = dcn->weight->weight.view({o, 9 * c});
  const auto B = dcn->weight->bias;
  const auto xa = x[0];
  for (int64_t oc = 0; oc < o; ++oc)
    for (int64_t py = 0; py < h; ++py)
      for (int64_t px = 0; px < w; ++px) {
        double v = B[oc].item<double>();
        for (int k = 0; k < 9; ++k) {
          const double sy = py + (k / 3 - 1) + off[0][2 * k][py][px].item<double>();
          const double sx = px + (k % 3 - 1) + off[0][2 * k + 1][py][px].item<double>();
          for (int64_t ch = 0; ch < c; ++ch) {
            const auto plane = xa[ch].contiguous();
            v += W[oc][k * c + ch].item<double>() * bilinear(plane.accessor<float, 2>(), h, w, sy, sx);
          }
        }
        EXPECT_NEAR(y[0][oc][py][px].item<double>(), v, 1e-4) << oc << " " << py << " " << px;
      }
}

TEST(DeformConv, ZeroOffsetsAreAPlainConvolution) {
  torch::manual_seed(3);
  DeformConv2d dcn(2, 4);
  const auto x = torch::randn({1, 2, 7, 8});
  torch::NoGradGuard g;
  // The 1x1 weights over tap-major samples, rearranged as a 3x3 kernel (out, in, 3, 3).
  const auto kernel = dcn->weight->weight.view({4, 9, 2}).permute({0, 2, 1}).reshape({4, 2, 3, 3});
  const auto plain = torch::nn::functional::conv2d(x, kernel, torch::nn::functional::Conv2dFuncOptions().bias(dcn->weight->bias).padding(1));
  EXPECT_TRUE(torch::allclose(dcn->forward(x), plain, 1e-5, 1e-5));  // offsets start at zero
}

TEST(Peakiness, HandMadeMap) {
  // Two channels on a 3x3 map: channel 0 is zero except 2 at the centre, channel 1 is zero.
  auto y = torch::zeros({1, 2, 3, 3});
  y[0][0][1][1] = 2;
  const auto g = peakiness(y);
  ASSERT_EQ(g.sizes(), (std::vector<int64_t>{1, 1, 3, 3}));
  // Centre, channel 0: beta = softplus(2 - 1), alpha = softplus(2 - 2/9); channel 1 is smaller.
  EXPECT_NEAR(g[0][0][1][1].item<double>(), softplus(1) * softplus(2 - 2.0 / 9), 1e-5);
  // Corner: channel 1 gives softplus(0)^2 = ln(2)^2, more than channel 0's softplus(0) * softplus(-2/9).
  EXPECT_NEAR(g[0][0][0][0].item<double>(), std::log(2.0) * std::log(2.0), 1e-5);
  EXPECT_GT(g[0][0][1][1].item<double>(), g.max().item<double>() - 1e-6);  // the peak is the maximum
}

TEST(DetectionNet, WeightsSurviveSaveAndLoad) {
  torch::manual_seed(4);
  DetectionNetOptions o;
  o.widthMultiplier = 0.125;  // not the default: the file must carry it
  DetectionNet a(o);
  const std::string path = ::testing::TempDir() + "/detnet_roundtrip.pt";
  saveDetector(a, path);
  DetectionNet b = loadDetector(path, torch::kCPU);
  EXPECT_EQ(b->options.widthMultiplier, 0.125);
  a->eval();
  torch::NoGradGuard g;
  const auto x = torch::rand({1, 1, 45, 61});
  EXPECT_TRUE(torch::equal(a->forward(x).score, b->forward(x).score));
  std::remove(path.c_str());
}

TEST(DetectionNet, InferenceIsDeterministic) {
  torch::manual_seed(5);
  DetectionNet net;
  net->eval();
  torch::NoGradGuard g;
  const auto x = torch::rand({1, 1, 80, 90});
  EXPECT_TRUE(torch::equal(net->forward(x).score, net->forward(x).score));
}

TEST(DetectionNet, KeypointsAreThresholdedLocalMaxima) {
  auto s = torch::zeros({1, 1, 20, 20});
  s[0][0][5][7] = 0.9;
  s[0][0][6][8] = 0.8;    // inside the radius of the first: suppressed
  s[0][0][15][3] = 0.7;
  s[0][0][12][12] = 0.5;  // below the threshold
  const auto k = selectKeypoints(s, 0.6, 2, 10);
  ASSERT_EQ(k.size(0), 2);
  EXPECT_EQ(k[0][0].item<float>(), 7);  // x
  EXPECT_EQ(k[0][1].item<float>(), 5);  // y
  EXPECT_NEAR(k[0][2].item<float>(), 0.9, 1e-6);
  EXPECT_EQ(k[1][0].item<float>(), 3);
  EXPECT_EQ(selectKeypoints(s, 0.6, 2, 1).size(0), 1);
}

// The trainer's smoke run, as CI does it: a few iterations on one fixed batch of tiny crops of
// real training pairs, which the loss must be able to fit; the weights must load back.
TEST(DetectorTrainer, SmokeTrainingLowersTheLoss) {
  if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "../shared/data missing";
  const std::string out = ::testing::TempDir() + "/detector_smoke.pt";
  const auto r = mmreg_test::runProgram(MMREG_TRAINER, "--data " + mmreg_test::sharedData() +
                                                           " --iterations 40 --batch 2 --crop 64 --log-every 10 --max-pairs 4"
                                                           " --fixed-batch --lr 1e-3 --threads 2 --seed 3 --out " + out);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto losses = mmreg_test::trainingLosses(r.output);
  ASSERT_EQ(losses.size(), 4u) << r.output;
  EXPECT_LT(losses.back(), losses.front()) << r.output;
  EXPECT_NO_THROW(loadDetector(out, torch::kCPU));
  std::remove(out.c_str());
  std::remove((out + ".last").c_str());
}

TEST(LearnedDetector, MissingOrForeignWeightsGiveAnErrorThatSaysWhatToDo) {
  mmreg::registerLearnedModels();
  mmreg::LearnedModelOptions o;
  o.weights = ::testing::TempDir() + "/no_such_detector.pt";
  try {
    mmreg::makeDetector("learned", o);
    FAIL() << "expected an error";
  } catch (const mmreg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("-weights"), std::string::npos) << e.what();
  }
  o.weights = mmreg_test::sampleData() + "/README.md";
  EXPECT_THROW(mmreg::makeDetector("learned", o), mmreg::Error);
  o.weights.clear();
  o.device = "tpu";
  EXPECT_THROW(mmreg::makeDetector("learned", o), mmreg::Error);
}

// Through mmreg::Detector: at most the asked count, strongest first, 4 px apart, never on
// invalid pixels; the same keypoints on every call.
TEST(LearnedDetector, KeypointsAreSortedSeparatedAndOnValidPixels) {
  torch::manual_seed(6);
  const std::string path = ::testing::TempDir() + "/detector_random.pt";
  DetectionNet net;
  saveDetector(net, path);
  mmreg::registerLearnedModels();
  mmreg::LearnedModelOptions o;
  o.weights = path;
  o.threads = 2;
  const auto det = mmreg::makeDetector("learned", o);
  mmreg::Image img(97, 75);
  for (auto& v : img.pixels) v = static_cast<float>(std::rand() % 1000) / 1000.f;
  img.valid.assign(img.pixels.size(), 1);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < 30; ++x) img.valid[static_cast<size_t>(y) * img.width + x] = 0;
  const auto k = det->detect(img, 50);
  ASSERT_GT(k.size(), 10u);
  EXPECT_LE(k.size(), 50u);
  EXPECT_EQ(det->detect(img, 5).size(), 5u);
  for (size_t i = 0; i < k.size(); ++i) {
    EXPECT_GE(k[i].pos.x, 30) << "keypoint on an invalid pixel";
    if (i) EXPECT_LE(k[i].score, k[i - 1].score);
    for (size_t j = 0; j < i; ++j) EXPECT_GT(std::hypot(k[i].pos.x - k[j].pos.x, k[i].pos.y - k[j].pos.y), 4.0);
  }
  const auto again = det->detect(img, 50);
  for (size_t i = 0; i < k.size(); ++i) EXPECT_EQ(k[i].pos.x, again[i].pos.x);
  std::remove(path.c_str());
}
