// The learned dense feature backbone (issue 13): the untrained network is the structural
// features exactly (and the area matcher on it gives today's matches), the differentiable NCC is
// the matcher's, a smoke training on a real aligned crop lowers the loss, save/load, determinism,
// thread counts, the trainer's resume, and the errors for missing weights.
#include <cpl_json.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>
#include <opencv2/core.hpp>

#include "features/area_matcher.h"
#include "features/fft_ncc.h"
#include "features/structural_features.h"
#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "nets/feature_backbone.h"
#include "nets/torch_support.h"
#include "nets/learned_features.h"
#include "nets/template_ncc.h"
#include "test_support.h"
#include "training/content_alignment.h"

using namespace mmreg::nets;

namespace {

double largestDifference(const std::vector<cv::Mat>& a, const std::vector<cv::Mat>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) d = std::max(d, cv::norm(a[k], b[k], cv::NORM_INF));
  return d;
}

// A backbone whose residual is not zero (as after training), reproducibly.
FeatureBackbone perturbedBackbone() {
  torch::manual_seed(5);
  FeatureBackbone net;
  torch::NoGradGuard g;
  for (const auto& h : *net->heads) h->as<torch::nn::Conv2d>()->weight.normal_(0, 0.05);
  return net;
}

// Templates of one feature map on a grid, each searched over a window of the other around the
// same place: what the trainer builds (here with zero displacement).
std::pair<torch::Tensor, torch::Tensor> gridTemplates(const torch::Tensor& fa, const torch::Tensor& fb, int t, int m) {
  std::vector<torch::Tensor> tk, wk;
  for (int y = m; y + t + m <= fa.size(2); y += t / 2)
    for (int x = m; x + t + m <= fa.size(3); x += t / 2) {
      tk.push_back(fa[0].slice(1, y, y + t).slice(2, x, x + t));
      wk.push_back(fb[0].slice(1, y - m, y + t + m).slice(2, x - m, x + t + m));
    }
  return {torch::stack(tk), torch::stack(wk)};
}

// The forward pass written plainly (LibTorch's pooling, each head at its own channel count,
// nothing in place): what the optimised forward pass must give, bit for bit.
torch::Tensor plainForward(FeatureBackbone& net, const BackboneInput& in) {
  namespace F = torch::nn::functional;
  auto x = torch::cat({in.structural, in.image - 0.5}, 1);
  std::vector<torch::Tensor> levels;
  for (size_t level = 0; level < net->stages->size(); ++level) {
    if (level > 0) x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).ceil_mode(true));
    x = torch::relu(net->stages[level]->as<torch::nn::Conv2d>()->forward(x));
    levels.push_back(x);
  }
  torch::Tensor residual;
  for (size_t level = levels.size(); level-- > 0;) {
    const auto r = net->heads[level]->as<torch::nn::Conv2d>()->forward(levels[level]);
    if (!residual.defined()) {
      residual = r;
      continue;
    }
    const std::vector<int64_t> size{r.size(2), r.size(3)};
    residual = r + F::interpolate(residual, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false));
  }
  return (in.structural + residual) * in.mask;
}

}  // namespace

TEST(FeatureBackbone, UntrainedGivesTheStructuralFeaturesExactly) {
  auto img = mmreg_test::s1s2SampleWindow(true, 300, 200, 160);
  img.valid.assign(img.pixels.size(), 1);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 60; ++x) img.valid[y * img.width + x] = 0;  // a nodata corner: the mask must hold there too
  const LearnedFeatures untrained{FeatureBackbone{}};
  EXPECT_EQ(largestDifference(untrained.compute(img), mmreg::structuralFeatures(img)), 0.0);
}

// The forward pass's shortcuts (its own 2 x 2 pooling, heads padded to 16 channels for oneDNN,
// in-place sums) change no bit of the descriptors, on odd sizes, under a mask, with and
// without autograd.
TEST(FeatureBackbone, TheFastForwardPassGivesThePlainOnesValuesExactly) {
  auto net = perturbedBackbone();
  auto img = mmreg_test::s1s2SampleWindow(true, 300, 200, 157);
  img.valid.assign(img.pixels.size(), 1);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 45; ++x) img.valid[y * img.width + x] = 0;
  const auto in = backboneInput(img);
  torch::Tensor plain, fast, recorded;
  {
    torch::NoGradGuard g;
    plain = plainForward(net, in);
    fast = net->forward(in.structural, in.image, in.mask);
  }
  recorded = net->forward(in.structural, in.image, in.mask);
  EXPECT_TRUE(torch::equal(fast, plain));
  EXPECT_TRUE(torch::equal(recorded.detach(), plain));

  torch::manual_seed(3);
  for (const auto& shape : std::vector<std::vector<int64_t>>{{2, 16, 64, 64}, {1, 16, 33, 20}, {2, 3, 17, 31}, {1, 1, 1, 1}}) {
    const auto x = torch::randn(shape) * 3;
    torch::NoGradGuard g;
    EXPECT_TRUE(torch::equal(halve(x), torch::nn::functional::avg_pool2d(x, torch::nn::functional::AvgPool2dFuncOptions(2).ceil_mode(true))))
        << shape[2] << " x " << shape[3];
  }
}

TEST(FeatureBackbone, AreaMatcherOnTheUntrainedBackboneGivesTodaysMatches) {
  const int m = 16;
  const auto ref = mmreg_test::s1s2SampleWindow(false, 256, 256, 256), sen = mmreg_test::s1s2SampleWindow(true, 256 - m, 256 - m, 256 + 2 * m);
  mmreg::AreaMatcherOptions learned;
  learned.features = std::make_shared<LearnedFeatures>(FeatureBackbone{});
  const auto today = mmreg::AreaMatcher().match(ref, sen, m), onBackbone = mmreg::AreaMatcher(learned).match(ref, sen, m);
  ASSERT_GE(today.size(), 4u);
  ASSERT_EQ(today.size(), onBackbone.size());
  for (size_t i = 0; i < today.size(); ++i) {
    EXPECT_EQ(today[i].sensed.x, onBackbone[i].sensed.x);
    EXPECT_EQ(today[i].sensed.y, onBackbone[i].sensed.y);
    EXPECT_EQ(today[i].score, onBackbone[i].score);
  }
}

TEST(TemplateNcc, IsTheAreaMatchersCorrelation) {
  const auto a = backboneInput(mmreg_test::s1s2SampleWindow(false, 100, 500, 96));
  const auto b = backboneInput(mmreg_test::s1s2SampleWindow(true, 100, 500, 96));
  const int t = 32, m = 6;
  const auto [templates, windows] = gridTemplates(a.structural, b.structural, t, m);
  const auto ncc = templateNcc(templates, windows);
  ASSERT_EQ(ncc.sizes(), (std::vector<int64_t>{templates.size(0), 2 * m + 1, 2 * m + 1}));
  for (int64_t n = 0; n < templates.size(0); ++n) {
    std::vector<cv::Mat> tk = channelImages(templates[n].unsqueeze(0)), wk = channelImages(windows[n].unsqueeze(0));
    const cv::Mat expected = mmreg::multiChannelNcc(tk, wk);
    const auto got = ncc[n].to(torch::kDouble).contiguous();
    const cv::Mat gotMat(expected.rows, expected.cols, CV_64F, got.data_ptr<double>());
    EXPECT_LT(cv::norm(gotMat, expected, cv::NORM_INF), 1e-4) << "template " << n;
  }
}

TEST(NccMatchingLoss, RewardsAPeakAtTheTruth) {
  auto ncc = torch::full({2, 9, 9}, 0.1);
  ncc[0][4][3] = 0.9;  // template 0 peaks at (u, v) = (3, 4)
  ncc[1][7][7] = 0.9;  // template 1 at (7, 7)
  const auto truth = torch::tensor({3.0f, 4.0f, 3.0f, 4.0f}).view({2, 2});
  const auto both = nccMatchingLoss(ncc, truth);
  EXPECT_DOUBLE_EQ(both.accuracy, 0.5);
  const auto right = nccMatchingLoss(ncc.slice(0, 0, 1), truth.slice(0, 0, 1)), wrong = nccMatchingLoss(ncc.slice(0, 1, 2), truth.slice(0, 1, 2));
  EXPECT_LT(right.loss.item<double>(), wrong.loss.item<double>());
  // Between pixels, the target spreads over the neighbours: a peak on either side costs the same.
  const auto between = torch::tensor({3.5f, 4.0f}).view({1, 2});
  auto left = torch::full({1, 9, 9}, 0.1), rightPeak = left.clone();
  left[0][4][3] = 0.9, rightPeak[0][4][4] = 0.9;
  EXPECT_NEAR(nccMatchingLoss(left, between).loss.item<double>(), nccMatchingLoss(rightPeak, between).loss.item<double>(), 1e-5);
}

TEST(FeatureBackbone, SmokeTrainingOnARealAlignedCropLowersTheLoss) {
  torch::manual_seed(3);
  FeatureBackbone net;
  const auto a = backboneInput(mmreg_test::s1s2SampleWindow(false, 400, 300, 128));
  const auto b = backboneInput(mmreg_test::s1s2SampleWindow(true, 400, 300, 128));
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(3e-3));
  const int t = 32, m = 6;
  std::vector<double> losses;
  for (int step = 0; step < 15; ++step) {
    opt.zero_grad();
    const auto [templates, windows] =
        gridTemplates(net->forward(a.structural, a.image, a.mask), net->forward(b.structural, b.image, b.mask), t, m);
    const auto ncc = templateNcc(templates, windows);
    const auto loss = nccMatchingLoss(ncc, torch::full({ncc.size(0), 2}, static_cast<float>(m))).loss;
    loss.backward();
    opt.step();
    losses.push_back(loss.item<double>());
  }
  EXPECT_LT(losses.back(), 0.9 * losses.front()) << "first " << losses.front() << ", last " << losses.back();
}

TEST(FeatureBackbone, SaveLoadRoundTripAndDeterminism) {
  auto net = perturbedBackbone();
  const auto img = mmreg_test::s1s2SampleWindow(true, 600, 600, 128);
  const LearnedFeatures features(net);
  const auto first = features.compute(img);
  EXPECT_EQ(largestDifference(first, features.compute(img)), 0.0);
  EXPECT_GT(largestDifference(first, mmreg::structuralFeatures(img)), 1e-3);  // the residual is really there
  EXPECT_EQ(largestDifference(first, LearnedFeatures(perturbedBackbone()).compute(img)), 0.0);
  const std::string path = ::testing::TempDir() + "/backbone_roundtrip.pt";
  saveBackbone(net, path);
  EXPECT_EQ(largestDifference(first, LearnedFeatures(loadBackbone(path, torch::kCPU)).compute(img)), 0.0);
  std::remove(path.c_str());
}

TEST(FeatureBackbone, ASarStemIsUsedOnSarOnlyAndSurvivesSaveAndLoad) {
  const auto img = mmreg_test::s1s2SampleWindow(true, 600, 600, 128);
  FeatureBackboneOptions o;
  o.sarStem = true;
  const LearnedFeatures untrained{FeatureBackbone(o)};
  EXPECT_EQ(largestDifference(untrained.computeFor(img, mmreg::Modality::Sar), mmreg::structuralFeatures(img)), 0.0);
  torch::manual_seed(5);
  FeatureBackbone net(o);
  {
    torch::NoGradGuard g;
    for (const auto& h : *net->heads) h->as<torch::nn::Conv2d>()->weight.normal_(0, 0.05);
  }
  const LearnedFeatures features(net);
  const auto sar = features.computeFor(img, mmreg::Modality::Sar), optical = features.computeFor(img, mmreg::Modality::Optical);
  EXPECT_GT(largestDifference(sar, optical), 1e-3);  // the two stems differ
  EXPECT_EQ(largestDifference(optical, features.compute(img)), 0.0);  // no modality: the optical stem
  const std::string path = ::testing::TempDir() + "/backbone_sar_stem.pt";
  saveBackbone(net, path);
  const auto loaded = loadBackbone(path, torch::kCPU);
  EXPECT_TRUE(loaded->options.sarStem);
  EXPECT_EQ(largestDifference(sar, LearnedFeatures(loaded).computeFor(img, mmreg::Modality::Sar)), 0.0);
  std::remove(path.c_str());
}

// The pipeline runs a SAR stem on whichever side is SAR, and only there: two backbones that
// differ only in their SAR stem register the bundled Sentinel-1 image to different models when
// it is read as SAR, and to the same model when it is read as optical.
TEST(FeatureBackbone, ThePipelineRunsTheSarStemOnTheSarSideOnly) {
  FeatureBackboneOptions o;
  o.sarStem = true;
  torch::manual_seed(7);
  FeatureBackbone net(o);
  {
    torch::NoGradGuard g;
    for (const auto& h : *net->heads) h->as<torch::nn::Conv2d>()->weight.normal_(0, 0.05);
    net->sarStem->weight.copy_(net->stages[0]->as<torch::nn::Conv2d>()->weight);  // SAR as optical
    net->sarStem->bias.copy_(net->stages[0]->as<torch::nn::Conv2d>()->bias);
  }
  const std::string same = ::testing::TempDir() + "/stem_as_optical.pt", own = ::testing::TempDir() + "/stem_own.pt";
  saveBackbone(net, same);
  {
    torch::NoGradGuard g;
    net->sarStem->weight.normal_(0, 0.2);
  }
  saveBackbone(net, own);
  const std::string report = ::testing::TempDir() + "/stem_report.json";
  auto model = [&](const std::string& weights, const std::string& type) {
    const auto r = mmreg_test::runCli("-q -overwrite -features learned -feature_weights " + weights + " -sensed_type " + type + " -report " +
                                      report + " " + mmreg_test::sampleData() + "/s1s2_075_ref.tif " + mmreg_test::sampleData() +
                                      "/s1s2_075_sensed.tif -");
    CPLJSONDocument doc;
    EXPECT_TRUE(doc.Load(report)) << r.output;
    std::remove(report.c_str());
    return doc.GetRoot().GetObj("model").GetArray("parameters").Format(CPLJSONObject::PrettyFormat::Plain);
  };
  const std::string sarSame = model(same, "sar"), sarOwn = model(own, "sar");
  ASSERT_NE(sarSame, "") << "no model in the report";
  EXPECT_NE(sarSame, sarOwn);
  EXPECT_EQ(model(same, "optical"), model(own, "optical"));
  std::remove(same.c_str());
  std::remove(own.c_str());
}

TEST(FeatureBackbone, SameDescriptorsWhateverTheThreadCount) {
  const auto img = mmreg_test::s1s2SampleWindow(true, 0, 0, 256);
  const LearnedFeatures features(perturbedBackbone());
  const int before = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = features.compute(img);
  torch::set_num_threads(2);
  const auto two = features.compute(img);
  std::vector<cv::Mat> worker;
  std::thread([&] { worker = features.compute(img); }).join();  // a tile's thread, as in the pipeline
  torch::set_num_threads(before);
  EXPECT_EQ(largestDifference(one, two), 0.0);
  EXPECT_EQ(largestDifference(one, worker), 0.0);
}

TEST(ContentAlignment, FindsAKnownShiftOfARealPairAndUndoesIt) {
  auto pairAt = [](int refX, int refY, int senX, int senY) {
    const auto ref = mmreg_test::s1s2SampleWindow(false, refX, refY, 288), sen = mmreg_test::s1s2SampleWindow(true, senX, senY, 288);
    return mmreg::training::LoadedPair{imageTensor(ref).clone(), imageTensor(sen).clone()};
  };
  const auto own = mmreg::training::measureContentAlignment(pairAt(300, 300, 300, 300));
  ASSERT_TRUE(own.trustworthy()) << own.agreeing << " of " << own.templates;
  // The sensed window read 5 px right and 3 px up: the content moves by (-5, +3).
  const auto moved = pairAt(300, 300, 305, 297);
  const auto found = mmreg::training::measureContentAlignment(moved);
  ASSERT_TRUE(found.trustworthy());
  EXPECT_EQ(found.offset, own.offset + cv::Point(-5, 3));
  const auto realigned = mmreg::training::shiftedPair(moved, found.offset);
  EXPECT_EQ(realigned.reference.sizes(), realigned.sensed.sizes());
  const auto left = mmreg::training::measureContentAlignment(realigned).offset;  // whole pixels: a sub-pixel truth may round either way
  EXPECT_LE(std::abs(left.x), 1);
  EXPECT_LE(std::abs(left.y), 1);
  // Different ground: no agreement to trust.
  EXPECT_FALSE(mmreg::training::measureContentAlignment(pairAt(100, 100, 600, 600)).trustworthy());
}

// --train-groups and --val-groups keep the named groups' pairs, in order, and nothing else: a
// name that only starts like a group ("3mos/SE") keeps none of it.
TEST(TrainingData, InGroupsAndValidationGroupsKeepTheNamedGroupsOnly) {
  std::vector<mmreg::training::LoadedPair> pairs;
  for (const char* g : {"3mos/SEN", "srif/Optical-Map", "3mos/GF3", "3mos/SEN", "s1s2/S1"}) pairs.push_back({{}, {}, g});
  const auto kept = mmreg::training::inGroups(pairs, "3mos/SEN,s1s2/S1");
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].group, "3mos/SEN");
  EXPECT_EQ(kept[1].group, "3mos/SEN");
  EXPECT_EQ(kept[2].group, "s1s2/S1");
  EXPECT_TRUE(mmreg::training::inGroups(pairs, "3mos/SE").empty());
  EXPECT_EQ(mmreg::training::groupNames(pairs), "3mos/GF3,3mos/SEN,s1s2/S1,srif/Optical-Map");
  // --val-groups: none named keeps all; a name that keeps nothing is an error saying how to name groups.
  EXPECT_EQ(mmreg::training::validationGroups(pairs, "").size(), pairs.size());
  EXPECT_EQ(mmreg::training::validationGroups(pairs, "s1s2/S1").size(), 1u);
  try {
    mmreg::training::validationGroups(pairs, "3mos/RCN");
    ADD_FAILURE() << "no error for a group that keeps nothing";
  } catch (const mmreg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("e.g. 3mos/RCM"), std::string::npos) << e.what();
  }
}

TEST(LearnedFeatures, MissingOrForeignWeightsGiveAnErrorThatSaysWhatToDo) {
  mmreg::registerLearnedModels();
  mmreg::LearnedModelOptions o;
  o.featureWeights = ::testing::TempDir() + "/no_such_backbone.pt";
  try {
    mmreg::makeDenseFeatures("learned", o);
    FAIL() << "expected an error";
  } catch (const mmreg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("-feature_weights"), std::string::npos) << e.what();
  }
  o.featureWeights = mmreg_test::sampleData() + "/README.md";
  EXPECT_THROW(mmreg::makeDenseFeatures("learned", o), mmreg::Error);
  EXPECT_THROW(mmreg::makeDenseFeatures("nonsense"), mmreg::Error);
}

TEST(BackboneTrainer, SmokeTrainingLowersTheLossAndResumes) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/backbone_smoke.pt";
  const std::string common = "--data " + mmreg_test::sharedData() +
                             " --batch 1 --crop 96 --template 32 --radius 4 --step 16 --max-pairs 2 --val-pairs 2"
                             " --fixed-batch --lr 3e-3 --threads 2 --seed 3 --log-every 5 --out " + out;
  ASSERT_EQ(mmreg_test::trainerSmokeAndResumeProblem(MMREG_BACKBONE_TRAINER, common), "");
  EXPECT_NO_THROW(loadBackbone(out, torch::kCPU));
  // Content alignment on real pairs: of the first 8 (3MOS GF-3), some are kept and moved, some
  // dropped; with only 2, none is kept, which must stop the trainer with advice, not train on nothing.
  const auto aligned = mmreg_test::runProgram(MMREG_BACKBONE_TRAINER, common + " --iterations 1 --max-pairs 8 --align-content");
  ASSERT_EQ(aligned.exitCode, 0) << aligned.output;
  ASSERT_NE(aligned.output.find("aligned on content"), std::string::npos) << aligned.output;
  const int kept = std::stoi(aligned.output.substr(aligned.output.find("training pairs: ") + 16));
  EXPECT_GT(kept, 0) << aligned.output;
  EXPECT_LT(kept, 8) << aligned.output;
  const auto noneKept = mmreg_test::runProgram(MMREG_BACKBONE_TRAINER, common + " --iterations 1 --align-content");
  EXPECT_EQ(noneKept.exitCode, 1) << noneKept.output;
  EXPECT_NE(noneKept.output.find("dropped every training pair"), std::string::npos) << noneKept.output;
  const auto unknownGroup = mmreg_test::runProgram(MMREG_BACKBONE_TRAINER, common + " --iterations 1 --val-groups 3mos/NoSuchSatellite");
  EXPECT_EQ(unknownGroup.exitCode, 2) << unknownGroup.output;
  EXPECT_NE(unknownGroup.output.find("e.g. 3mos/RCM"), std::string::npos) << unknownGroup.output;
  // --train-groups keeps the named groups' pairs only, and names the groups there are when none is left.
  const auto noTraining = mmreg_test::runProgram(MMREG_BACKBONE_TRAINER, common + " --iterations 1 --max-pairs 8 --train-groups srif/NoSuchPair");
  EXPECT_EQ(noTraining.exitCode, 1) << noTraining.output;
  EXPECT_NE(noTraining.output.find("the training split's groups are 3mos/GF3"), std::string::npos) << noTraining.output;
  for (const char* s : {"", ".last", ".last.optim", ".last.state"}) std::remove((out + s).c_str());
}
