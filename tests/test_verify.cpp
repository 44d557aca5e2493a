// The verdict's parts on hand-made cases: the binomial tail, the geometry against a prior, the
// predicted error away from clustered points, check points held out in blocks, the rules that
// turn the numbers into a level, and the confirmation on a real image under right and wrong models.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "estimation/extrapolation.h"
#include "mmreg/global_fit.h"
#include "mmreg/raster.h"
#include "pipeline/match_context.h"
#include "pipeline/pixel_mapping.h"
#include "test_support.h"
#include "verify/confirmation.h"
#include "verify/geometry_check.h"
#include "verify/verdict_rules.h"

using namespace mmreg;

namespace {

std::unique_ptr<Transform2D> affine(double a, double b, double c, double d, double e, double f) {
  const std::vector<Point2> from{{0, 0}, {100, 0}, {0, 100}, {100, 100}};
  std::vector<Point2> to;
  for (auto p : from) to.push_back({a * p.x + b * p.y + c, d * p.x + e * p.y + f});
  return fitTransform(ModelType::Affine, from, to);
}

LinearPrior identityPrior() {
  LinearPrior p;
  p.source = "georeferencing";
  return p;
}

}  // namespace

TEST(Verify, BinomialTailMatchesHandValues) {
  EXPECT_DOUBLE_EQ(binomialTail(0, 10, 0.3), 1.0);
  EXPECT_NEAR(binomialTail(10, 10, 0.5), std::pow(0.5, 10), 1e-15);
  EXPECT_NEAR(binomialTail(1, 3, 0.5), 7.0 / 8, 1e-12);
  EXPECT_NEAR(binomialTail(2, 4, 0.1), 1 - std::pow(0.9, 4) - 4 * 0.1 * std::pow(0.9, 3), 1e-12);
  EXPECT_DOUBLE_EQ(binomialTail(5, 4, 0.1), 0.0);
}

TEST(Verify, FisherCombinationMatchesHandValues) {
  EXPECT_DOUBLE_EQ(fisherCombined({}), 1.0);
  EXPECT_NEAR(fisherCombined({0.3}), 0.3, 1e-12);  // one p-value is its own combination
  // Two: P(chi2_4 >= -2 ln(p1 p2)) = p1 p2 (1 - ln(p1 p2)).
  EXPECT_NEAR(fisherCombined({0.1, 0.1}), 0.01 * (1 - std::log(0.01)), 1e-12);
  EXPECT_DOUBLE_EQ(fisherCombined({1, 1, 1}), 1.0);
  // Twenty windows each ranked in the top 1/289 of their surface: overwhelming evidence, though
  // less than the bare product of the p-values claims.
  const double twenty = fisherCombined(std::vector<double>(20, 1.0 / 289));
  EXPECT_LT(twenty, 1e-25);
  EXPECT_GT(twenty, std::pow(1.0 / 289, 20));
}

TEST(Verify, GeometryMeasuresScaleRotationAndAnisotropyAgainstThePrior) {
  const PixelWindow overlap{0, 0, 1000, 1000};
  const auto same = affine(1, 0, 12, 0, 1, -7);
  const VerifyOptions o;
  const auto g0 = checkGeometry(*same, *affine(1, 0, -12, 0, 1, 7), identityPrior(), overlap, o);
  EXPECT_NEAR(g0.worstScaleChange, 0, 1e-9);
  EXPECT_NEAR(g0.worstRotationDeg, 0, 1e-9);
  EXPECT_NEAR(g0.worstAnisotropy, 1, 1e-9);
  EXPECT_TRUE(g0.plausible);

  // Scale 1.2 and rotation 10 degrees: a similarity, no anisotropy.
  const double c = 1.2 * std::cos(M_PI / 18), s = 1.2 * std::sin(M_PI / 18);
  const auto sim = affine(c, -s, 0, s, c, 0);
  const auto simInv = affine(c / 1.44, s / 1.44, 0, -s / 1.44, c / 1.44, 0);
  const auto g1 = checkGeometry(*sim, *simInv, identityPrior(), overlap, o);
  EXPECT_NEAR(g1.worstScaleChange, 0.2, 1e-6);
  EXPECT_NEAR(g1.worstRotationDeg, 10, 1e-6);
  EXPECT_NEAR(g1.worstAnisotropy, 1, 1e-6);
  EXPECT_FALSE(g1.plausible);  // 20 % > 15 %
  VerifyOptions wide;
  wide.maxScaleChange = 0.25;
  EXPECT_TRUE(checkGeometry(*sim, *simInv, identityPrior(), overlap, wide).plausible);
  // A coarse estimate's own uncertainty widens the bounds.
  LinearPrior coarse = identityPrior();
  coarse.scaleSlack = 0.26, coarse.rotationSlackDeg = 5;
  const auto g1c = checkGeometry(*sim, *simInv, coarse, overlap, o);
  EXPECT_NEAR(g1c.scaleLimit, 1.15 * 1.26 - 1, 1e-12);
  EXPECT_TRUE(g1c.plausible);

  // The wrong affine: scale about 2.4 and strong shear.
  const auto bad = affine(2.4, 0.9, 0, 0.1, 2.2, 0);
  const auto g2 = checkGeometry(*bad, *bad, identityPrior(), overlap, o);
  EXPECT_GT(g2.worstAnisotropy, 1.15);
  EXPECT_GT(g2.worstScaleChange, 1.0);

  // Against a prior that already scales by 2, a model scaling by 2 is plausible.
  LinearPrior twice = identityPrior();
  twice.a = twice.d = 2;
  const auto g3 = checkGeometry(*affine(2, 0, 0, 0, 2, 0), *affine(0.5, 0, 0, 0, 0.5, 0), twice, overlap, o);
  EXPECT_NEAR(g3.worstScaleChange, 0, 1e-9);

  // A mirrored model.
  const auto g4 = checkGeometry(*affine(-1, 0, 0, 0, 1, 0), *affine(-1, 0, 0, 0, 1, 0), identityPrior(), overlap, o);
  EXPECT_TRUE(g4.mirrored);
  EXPECT_FALSE(g4.plausible);
}

TEST(Verify, PredictedErrorGrowsAwayFromClusteredPoints) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> all(0, 1000), corner(0, 150);
  std::vector<Point2> spread, clustered;
  for (int i = 0; i < 40; ++i) spread.push_back({all(rng), all(rng)}), clustered.push_back({corner(rng), corner(rng)});
  const PixelWindow overlap{0, 0, 1000, 1000};
  const double a = predictedErrorOver(spread, ModelType::Affine, 1.0, overlap);
  const double b = predictedErrorOver(clustered, ModelType::Affine, 1.0, overlap);
  EXPECT_LT(a, 1.0);
  EXPECT_GT(b, 5 * a);
  // A translation is as good far away as near its points.
  EXPECT_NEAR(predictedErrorOver(clustered, ModelType::Translation, 1.0, overlap), 1 / std::sqrt(40.0), 1e-9);
  // Too few points for the model: no prediction at all.
  EXPECT_TRUE(std::isinf(predictedErrorOver({{1, 1}, {2, 2}}, ModelType::Poly2, 1.0, overlap)));
}

TEST(Verify, CheckPointsAreHeldOutInWholeBlocks) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1000);
  std::normal_distribution<double> g(0, 0.3);
  std::vector<TiePoint> pts;
  for (int i = 0; i < 400; ++i) {
    const Point2 s{u(rng), u(rng)};
    pts.push_back({{s.x + 5 + g(rng), s.y - 3 + g(rng)}, s, 1, 0});
  }
  FitOptions o;
  o.model = ModelType::Translation;
  o.checkBlockPx = 100;
  const auto r = fitGlobalModel(pts, o);
  ASSERT_GT(r.checkCount, 40);
  EXPECT_LT(r.checkCount, 130);
  // No block holds both a check point and a fitted point.
  std::map<std::pair<int, int>, std::pair<int, int>> blocks;  // (checks, fitted)
  for (size_t i = 0; i < pts.size(); ++i) {
    if (!r.inlier[i]) continue;
    auto& b = blocks[{static_cast<int>(std::floor(pts[i].ref.x / 100)), static_cast<int>(std::floor(pts[i].ref.y / 100))}];
    (r.check[i] ? b.first : b.second) += 1;
  }
  for (const auto& [key, b] : blocks)
    EXPECT_TRUE(b.first == 0 || b.second == 0) << key.first << "," << key.second << ": " << b.first << " checks, " << b.second << " fitted";
}

TEST(Verify, RulesTurnTheNumbersIntoALevel) {
  SupportCheck s;
  s.inliers = 60, s.minInliers = 16, s.extrapolationPx = 0.5;
  GeometryCheck g;
  g.prior = "georeferencing";
  g.plausible = true;
  ConfirmationCheck c;
  c.windows = 36, c.confirmed = 20, c.chance = 0.05, c.pValue = binomialTail(20, 36, 0.05), c.tolerancePx = 1.5;
  c.cellsConfirmed = 9, c.aggregatePeak = 0.2, c.perturbationMargin = 0.02, c.confirmedSpanPx = 1.0;
  const VerdictThresholds t;
  EXPECT_EQ(judge(s, g, c, ModelType::Affine, t).level, VerdictLevel::Verified);

  auto weak = c;
  weak.confirmed = 6, weak.pValue = binomialTail(6, 36, 0.05);  // about 1e-2: some evidence, not enough
  EXPECT_EQ(judge(s, g, weak, ModelType::Affine, t).level, VerdictLevel::Doubtful);
  auto none = c;
  none.confirmed = 2, none.pValue = binomialTail(2, 36, 0.05);
  const Verdict v = judge(s, g, none, ModelType::Affine, t);
  EXPECT_EQ(v.level, VerdictLevel::Failed);
  EXPECT_NE(v.summary().find("do not confirm"), std::string::npos) << v.summary();
  EXPECT_FALSE(v.advice.empty());

  auto elsewhere = c;
  elsewhere.aggregateOffset = {4, -2};
  EXPECT_EQ(judge(s, g, elsewhere, ModelType::Affine, t).level, VerdictLevel::Failed);
  // A strong count whose windows' mean surface peaks over a pixel from the model is a model right
  // over part of the overlap (an s1s2 model 5 px off its truth: 11 of 62 windows, 1.33 px).
  auto near = c;
  near.aggregateOffset = {0.6, -0.6};
  EXPECT_EQ(judge(s, g, near, ModelType::Affine, t).level, VerdictLevel::Verified);
  near.aggregateOffset = {0.9, -0.6};
  const Verdict offCentre = judge(s, g, near, ModelType::Affine, t);
  EXPECT_EQ(offCentre.level, VerdictLevel::Doubtful);
  EXPECT_NE(offCentre.summary().find("1.0 px or less verifies"), std::string::npos) << offCentre.summary();
  // Windows that miss the model but agree on one offset away from it: the model fits part of
  // the overlap (s1s2/003: 10 of 63 windows at the model, 9 together 5 px away, p = 7.5e-4).
  auto rival = c;
  rival.rivalWindows = 9, rival.rivalOffset = {-5.1, -2.1}, rival.rivalPValue = 7.5e-4;
  const Verdict partial = judge(s, g, rival, ModelType::Affine, t);
  EXPECT_EQ(partial.level, VerdictLevel::Doubtful);
  EXPECT_NE(partial.summary().find("9 independent windows agree on an alignment -5.1, -2.1 processing px from the model"),
            std::string::npos)
      << partial.summary();
  // Five misses together (p = 0.76), as on s1s2 fragments whose truth is disputed; right models'
  // misses gathered fewer in every benchmark table.
  rival.rivalWindows = 5, rival.rivalPValue = 0.76;
  EXPECT_EQ(judge(s, g, rival, ModelType::Affine, t).level, VerdictLevel::Verified);
  // Confirmed windows along one band leave a model that turns or scales free across it (3MOS
  // SEN hills 6: an affine 9.5 px off its truth, 5 of 16 windows, 6.3 px); a translation sits
  // at every window once it sits at one.
  auto band = c;
  band.confirmedSpanPx = 6.3;
  const Verdict banded = judge(s, g, band, ModelType::Affine, t);
  EXPECT_EQ(banded.level, VerdictLevel::Doubtful);
  EXPECT_NE(banded.summary().find("could be 6.3 processing px off away from them"), std::string::npos) << banded.summary();
  EXPECT_EQ(judge(s, g, band, ModelType::Translation, t).level, VerdictLevel::Verified);
  band.confirmedSpanPx = 3.4;
  EXPECT_EQ(judge(s, g, band, ModelType::Similarity, t).level, VerdictLevel::Verified);
  band.confirmedSpanPx = INFINITY;
  EXPECT_NE(judge(s, g, band, ModelType::Affine, t).summary().find("in a line"), std::string::npos);
  auto few = s;
  few.inliers = 10;
  EXPECT_EQ(judge(few, g, c, ModelType::Affine, t).level, VerdictLevel::Failed);
  auto far = s;
  far.extrapolationPx = 7;
  EXPECT_EQ(judge(far, g, c, ModelType::Affine, t).level, VerdictLevel::Doubtful);
  auto bent = g;
  bent.worstAnisotropy = 1.6, bent.plausible = false;
  EXPECT_EQ(judge(s, bent, c, ModelType::Affine, t).level, VerdictLevel::Failed);
  // A translation against a start rotated by 148 deg (SRIF optical-depth 19 from its keypoint
  // hypothesis: too few tie points agreed on anything richer) is not a distorted image, and the
  // advice must not be to widen the bounds.
  auto turned = g;
  turned.prior = "coarse alignment", turned.worstRotationDeg = 147.8, turned.rotationLimitDeg = 20, turned.plausible = false;
  turned.scaleLimit = 0.45, turned.anisotropyLimit = 1.15;
  const Verdict translated = judge(s, turned, c, ModelType::Translation, t);
  EXPECT_EQ(translated.level, VerdictLevel::Failed);
  EXPECT_NE(translated.summary().find("cannot turn or scale the image as the coarse alignment does"), std::string::npos)
      << translated.summary();
  EXPECT_EQ(translated.advice.find("widen"), std::string::npos) << translated.advice;

  // A model from the coarse pass is judged as one from the georeferencing: 6 of 12 windows
  // (p = 2.1e-5, as right depth models from coarse starts reached) verify it, 4 of 12
  // (p = 3.4e-3) leave it doubtful and say what verifies.
  auto six = c;
  six.windows = 12, six.confirmed = 6, six.chance = 0.0559, six.pValue = binomialTail(6, 12, 0.0559);
  ASSERT_GT(six.pValue, 1e-5);
  ASSERT_LT(six.pValue, 1e-4);
  auto coarse = g;
  coarse.prior = kCoarsePriorSource;
  EXPECT_EQ(judge(s, g, six, ModelType::Similarity, t).level, VerdictLevel::Verified);
  EXPECT_EQ(judge(s, coarse, six, ModelType::Similarity, t).level, VerdictLevel::Verified);
  auto four = six;
  four.confirmed = 4, four.pValue = binomialTail(4, 12, 0.0559);
  const Verdict fewConfirm = judge(s, coarse, four, ModelType::Similarity, t);
  EXPECT_EQ(fewConfirm.level, VerdictLevel::Doubtful);
  EXPECT_NE(fewConfirm.summary().find("weak independent confirmation: 4 of 12 windows"), std::string::npos) << fewConfirm.summary();
  EXPECT_NE(fewConfirm.summary().find("1e-04 or less verifies"), std::string::npos) << fewConfirm.summary();

  // The ranks are reported, not judged: a model right over part of the overlap reaches strong
  // ranks (s1s2 fragments 11-21 px off their truth reached 2.5e-8 to 3.3e-10), so they neither verify
  // a weak count nor save a count at chance from failing.
  auto ranked = four;
  ranked.rankPValue = 1e-12;
  EXPECT_EQ(judge(s, coarse, ranked, ModelType::Similarity, t).level, VerdictLevel::Doubtful);
  ranked.confirmed = 1, ranked.pValue = binomialTail(1, 12, 0.0559);
  EXPECT_EQ(judge(s, coarse, ranked, ModelType::Similarity, t).level, VerdictLevel::Failed);
}

// Two starts' verdicts: the level first, then each confirmation's p-value as a share of the bar
// its own look had to reach, so a second look (regional features, 1e-5) does not win over a
// per-pixel confirmation (1e-4) on a smaller raw p-value alone.
TEST(Verify, StartsAreComparedByLevelThenByPValueAgainstTheirLooksThreshold) {
  const VerdictThresholds t;
  Verdict perPixel, regional;
  perPixel.level = regional.level = VerdictLevel::Verified;
  perPixel.confirmation.features = "per-pixel", regional.confirmation.features = "regional";
  perPixel.confirmation.pValue = 1e-6;  // a hundredth of its bar
  regional.confirmation.pValue = 5e-7;  // half of its bar, though the smaller raw p-value
  EXPECT_TRUE(strongerVerdict(perPixel, regional, t));
  EXPECT_FALSE(strongerVerdict(regional, perPixel, t));
  regional.confirmation.pValue = 5e-9;  // a two-thousandth of its bar
  EXPECT_TRUE(strongerVerdict(regional, perPixel, t));
  EXPECT_FALSE(strongerVerdict(perPixel, regional, t));
  // A verified verdict beats a doubtful one whatever the p-values; doubtful beats failed.
  Verdict doubtful = perPixel, failed = perPixel;
  doubtful.level = VerdictLevel::Doubtful, doubtful.confirmation.pValue = 1e-12;
  failed.level = VerdictLevel::Failed, failed.confirmation.pValue = 1e-12;
  EXPECT_TRUE(strongerVerdict(regional, doubtful, t));
  EXPECT_TRUE(strongerVerdict(doubtful, failed, t));
  EXPECT_FALSE(strongerVerdict(failed, doubtful, t));
}

// On the real Landsat VIS/SWIR sample (pixel-aligned), the model that is right is confirmed by
// nearly every window; one 20 px off, or rotated by 4 degrees, by about as many as chance gives.
TEST(Verify, ConfirmationSeparatesTheRightModelFromWrongOnes) {
  const auto ref = GeoRaster::open(mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif");
  const auto sen = GeoRaster::open(mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif");
  MatchOptions mo;
  mo.sensedModality = Modality::Optical;
  const MatchContext c = makeMatchContext(ref, sen, mo);
  const TileReader reader(ref, c.refBands, sen, c.senBands, 1.0);
  const PixelWindow overlap{0, 0, ref.width(), ref.height()};
  const ProgressFn none;
  const ProgressSpan progress(none, 0, 1);
  auto confirm = [&](const Transform2D& f, const Transform2D& i) {
    return confirmModel(reader, *modelMapping(f, i), overlap, ConfirmationOptions{}, progress);
  };
  const auto right = confirm(*affine(1, 0, 0, 0, 1, 0), *affine(1, 0, 0, 0, 1, 0));
  EXPECT_GE(right.windows, 9);
  EXPECT_GE(right.confirmed, right.windows - 1);
  EXPECT_LT(right.pValue, 1e-8);
  EXPECT_LT(right.rankPValue, 1e-12);
  EXPECT_LT(std::hypot(right.aggregateOffset.x, right.aggregateOffset.y), 0.5);
  EXPECT_GT(right.perturbationMargin, 0);

  const auto shifted = confirm(*affine(1, 0, 20, 0, 1, 0), *affine(1, 0, -20, 0, 1, 0));
  EXPECT_LE(shifted.confirmed, 2);
  EXPECT_GT(shifted.pValue, 1e-2);
  EXPECT_GT(shifted.rankPValue, 1e-3);

  const double cs = std::cos(4 * M_PI / 180), sn = std::sin(4 * M_PI / 180);
  const auto rotated = confirm(*affine(cs, -sn, 0, sn, cs, 0), *affine(cs, sn, 0, -sn, cs, 0));
  EXPECT_LE(rotated.confirmed, right.confirmed / 3);
  EXPECT_GT(rotated.rankPValue, 1e-3);
}

// The Landsat sensed image with its right half moved 6 px to the right: under the identity the
// left half's windows confirm it and the right half's agree on (6, 0), so the windows name the
// rival alignment, and the verdict does not verify the model.
TEST(Verify, WindowsAgreeingAwayFromTheModelNameARivalAlignment) {
  GDALAllRegister();
  const std::string path = "/vsimem/test_verify_half_moved.tif";
  {
    GDALDatasetUniquePtr src(GDALDataset::Open((mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif").c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(src);
    GDALDatasetUniquePtr dst(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(path.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
    ASSERT_TRUE(dst);
    const int w = dst->GetRasterXSize(), h = dst->GetRasterYSize();
    std::vector<GByte> px(static_cast<size_t>(w) * h);
    GDALRasterBand* band = dst->GetRasterBand(1);
    ASSERT_EQ(band->RasterIO(GF_Read, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0), CE_None);
    for (int y = 0; y < h; ++y)
      for (int x = w - 1; x >= w / 2; --x) px[static_cast<size_t>(y) * w + x] = px[static_cast<size_t>(y) * w + x - 6];
    ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0), CE_None);
  }
  const auto ref = GeoRaster::open(mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif");
  const auto sen = GeoRaster::open(path);
  MatchOptions mo;
  mo.sensedModality = Modality::Optical;
  const MatchContext c = makeMatchContext(ref, sen, mo);
  const TileReader reader(ref, c.refBands, sen, c.senBands, 1.0);
  const ProgressFn none;
  const auto identity = modelMapping(*affine(1, 0, 0, 0, 1, 0), *affine(1, 0, 0, 0, 1, 0));
  const ConfirmationCheck k =
      confirmModel(reader, *identity, {0, 0, ref.width(), ref.height()}, ConfirmationOptions{}, ProgressSpan(none, 0, 1));
  VSIUnlink(path.c_str());
  EXPECT_GE(k.confirmed, k.windows / 2 - 2);
  // The count and the windows' mean surface alone would verify it (8 of 16 windows, p = 1e-9).
  EXPECT_LT(k.pValue, 1e-4);
  EXPECT_LT(std::hypot(k.aggregateOffset.x, k.aggregateOffset.y), VerdictThresholds{}.maxAggregateOffset);
  EXPECT_GE(k.rivalWindows, k.windows / 2 - 2);
  EXPECT_NEAR(k.rivalOffset.x, 6, 1);
  EXPECT_NEAR(k.rivalOffset.y, 0, 1);
  EXPECT_LT(k.rivalPValue, 1e-4);
  SupportCheck s;
  s.inliers = 60, s.minInliers = 16;
  GeometryCheck g;
  g.prior = "georeferencing";
  g.plausible = true;
  const Verdict v = judge(s, g, k, ModelType::Affine, VerdictThresholds{});
  EXPECT_EQ(v.level, VerdictLevel::Doubtful);
  EXPECT_NE(v.summary().find("the model fits only part of the overlap"), std::string::npos) << v.summary();
}
