// Preprocessing on real imagery: speckle is suppressed, SAR is told from optical, and the
// normalisation is robust to outliers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "test_support.h"

using namespace mmreg;

namespace {

Image readPair(const AlignedPair& p, bool sensed) {
  const auto& w = sensed ? p.sensed : p.reference;
  const auto r = GeoRaster::open(w.path);
  return r.readWindow(w.bands[0], w.window, w.window.width, w.window.height);
}

double variance(const Image& img) {
  double s = 0, s2 = 0;
  for (float v : img.pixels) s += v, s2 += v * v;
  const double n = img.pixels.size();
  return s2 / n - (s / n) * (s / n);
}

}  // namespace

TEST(Preprocess, GuessNeverTakesOpticalForSarAndFindsRawSpeckle) {
  SKIP_WITHOUT_SHARED_DATA();
  int sarFound = 0, sarTotal = 0;
  for (const auto& p : load3Mos(mmreg_test::sharedData() + "/3mos")) {
    if (p.name.back() != '2' && p.name.back() != '7') continue;  // two pairs of each grid
    EXPECT_EQ(guessModality(readPair(p, false)), Modality::Optical) << p.name;
    sarFound += guessModality(readPair(p, true)) == Modality::Sar;
    ++sarTotal;
  }
  // 3MOS SAR is already despeckled and scaled; about a fifth still shows raw speckle.
  EXPECT_GE(sarFound, sarTotal / 8) << sarFound << " of " << sarTotal;
}

// Sentinel-1 often comes as calibrated backscatter in dB (Earth Engine's S1_GRD, SNAP's
// Sigma0_dB): mostly negative, Float32. The SAR path squared it as if it were amplitude, which
// turns -30 dB into brighter than -5 dB, and the guess never saw its speckle.
TEST(Preprocess, SarInDecibelsIsReadAsTheAmplitudeItEncodes) {
  SKIP_WITHOUT_SHARED_DATA();
  int pairs = 0;
  for (const auto& p : load3Mos(mmreg_test::sharedData() + "/3mos")) {
    if (p.name.back() != '2') continue;
    Image amplitude = readPair(p, true);
    for (auto& v : amplitude.pixels) v += 1;  // no zero, which dB cannot write
    const Image optical = readPair(p, false);
    Image decibels = amplitude;  // 10 log10(sigma0) with sigma0 = 0.3 (a / 255)^2: -53 to -5 dB
    for (auto& v : decibels.pixels) v = static_cast<float>(10 * std::log10(0.3 * std::pow(v / 255.0, 2)));
    EXPECT_TRUE(looksLikeDecibels(decibels)) << p.name;
    EXPECT_FALSE(looksLikeDecibels(amplitude)) << p.name;
    EXPECT_FALSE(looksLikeDecibels(optical)) << p.name;
    const Image back = amplitudeFromDecibels(decibels);  // the original up to scale
    for (size_t i = 0; i < back.pixels.size(); ++i)
      ASSERT_NEAR(back.pixels[i] / amplitude.pixels[i], std::sqrt(0.3) / 255, 1e-6) << p.name;
    // So the SAR path sees what it sees in amplitude, and the guess judges the same speckle.
    const Image a = preprocess(amplitude, Modality::Sar), d = preprocess(decibels, Modality::Sar, true);
    for (size_t i = 0; i < a.pixels.size(); ++i) ASSERT_NEAR(a.pixels[i], d.pixels[i], 1e-3) << p.name;
    EXPECT_EQ(guessModality(back), guessModality(amplitude)) << p.name;
    ++pairs;
  }
  EXPECT_GE(pairs, 20);
}

TEST(Preprocess, LeeFilterSuppressesSpeckleButKeepsTheMean) {
  Image flat(64, 64, 100.f);
  std::mt19937 rng(1);
  std::exponential_distribution<float> speckle(1.0f);  // single-look intensity
  for (auto& v : flat.pixels) v *= speckle(rng);
  const Image f = leeFilter(flat, 7, 1.0);
  EXPECT_LT(variance(f), 0.2 * variance(flat));
  double m = 0;
  for (float v : f.pixels) m += v;
  EXPECT_NEAR(m / f.pixels.size(), 100.0, 5.0);
}

TEST(Preprocess, NormalisationIgnoresOutliersAndInvalidPixels) {
  Image img(100, 100);
  img.valid.assign(img.pixels.size(), 1);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<float>(i % 100);
  img.pixels[0] = 1e9f;      // a hot pixel
  img.pixels[1] = -5e8f;     // and an invalid one with a wild value
  img.valid[1] = 0;
  normalizeRobust(img);
  EXPECT_FLOAT_EQ(img.pixels[1], 0.f);
  EXPECT_FLOAT_EQ(img.pixels[0], 1.f);
  EXPECT_NEAR(img.at(50, 3), 0.5, 0.03);
  for (float v : img.pixels) ASSERT_TRUE(v >= 0 && v <= 1);
}

TEST(Preprocess, LuminanceWeightsThreeBandsAndPropagatesInvalidity) {
  Image r(2, 1, 1.f), g(2, 1, 0.f), b(2, 1, 0.f);
  g.valid = {1, 0};
  const Image y = combineBands({r, g, b});
  EXPECT_NEAR(y.pixels[0], 0.299, 1e-6);
  EXPECT_TRUE(y.isValid(0, 0));
  EXPECT_FALSE(y.isValid(1, 0));
}

TEST(Preprocess, SarPathIsMonotoneInBrightness) {
  Image img(32, 32);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) img.at(x, y) = 10.f + 5.f * x;
  const Image p = preprocess(img, Modality::Sar);
  for (int x = 1; x < 32; ++x) EXPECT_GE(p.at(x, 16), p.at(x - 1, 16));
}
