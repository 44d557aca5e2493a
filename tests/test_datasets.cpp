// Dataset loaders find every pair, and a built case encodes exactly the misregistration asked.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <cmath>

#include "mmreg/error.h"
#include "mmreg/raster.h"
#include "mmreg/synthetic_case.h"
#include "test_support.h"

using namespace mmreg;

TEST(Datasets, LoadersFindEveryPair) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string d = mmreg_test::sharedData();
  EXPECT_EQ(load3Mos(d + "/3mos").size(), 230u);  // SEN_water.png is truncated and dropped
  EXPECT_EQ(loadS1S2(d + "/s1s2").size(), 40u);
  EXPECT_EQ(loadVsff(d + "/vsff").size(), 2u);
  EXPECT_EQ(loadLandsat(d + "/landsat").size(), 3u);
  EXPECT_EQ(loadSrif(d + "/srif").size(), 600u);  // Optical-SAR is left out: its gt files are wrong
  const auto p = mmreg_test::threeMosPair("GF3_city", 4);
  EXPECT_EQ(p.group, "GF3");
  EXPECT_EQ(p.reference.window.x, 4 * 264);
  EXPECT_EQ(p.sensed.window.y, 260);
}

// The grids' images are separated by white gaps; a window that reaches into one would hold a
// white line in both images of the pair, which aligns them whatever their content (the
// TerraSAR-X grids are resized to 3257 x 636, and were once cut as if they were 2640 x 516).
TEST(Datasets, ThreeMosWindowsStayInsideTheirImages) {
  SKIP_WITHOUT_SHARED_DATA();
  auto hasWhiteLine = [](const ImageWindowRef& w) {
    const GeoRaster r = GeoRaster::open(w.path);
    const Image img = r.readWindow(w.bands[0], w.window, w.window.width, w.window.height);
    const auto& px = img.pixels;
    for (int y = 0; y < w.window.height; ++y) {
      int white = 0;
      for (int x = 0; x < w.window.width; ++x) white += px[static_cast<size_t>(y) * w.window.width + x] >= 254;
      if (white == w.window.width) return true;
    }
    for (int x = 0; x < w.window.width; ++x) {
      int white = 0;
      for (int y = 0; y < w.window.height; ++y) white += px[static_cast<size_t>(y) * w.window.width + x] >= 254;
      if (white == w.window.height) return true;
    }
    return false;
  };
  int terraSar = 0;
  for (const auto& p : load3Mos(mmreg_test::sharedData() + "/3mos")) {
    if (p.name.find("/TerraSAR_") == std::string::npos && p.name.find("_city/") == std::string::npos) continue;
    terraSar += p.group == "TerraSAR";
    EXPECT_FALSE(hasWhiteLine(p.reference)) << p.name;
    EXPECT_FALSE(hasWhiteLine(p.sensed)) << p.name;
    // Same columns; the rows a fraction of a pixel apart at most.
    EXPECT_EQ(p.reference.window.x, p.sensed.window.x) << p.name;
    EXPECT_GE(p.sensedToReference[5], 0) << p.name;
    EXPECT_LT(p.sensedToReference[5], 1) << p.name;
  }
  EXPECT_EQ(terraSar, 40);
}

TEST(Datasets, S1S2CornersBecomeATenMetreGeotransform) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto pairs = loadS1S2(mmreg_test::sharedData() + "/s1s2");
  ASSERT_FALSE(pairs.empty());
  const auto& gt = *pairs[0].geoTransform;
  EXPECT_NEAR(gt[1], 10.0, 0.01);
  EXPECT_NEAR(gt[5], -10.0, 0.01);
  EXPECT_EQ(pairs[0].crs, "EPSG:3395");
}

TEST(Datasets, GeoreferencingCaseEncodesTheMisregistration) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string dir = mmreg_test::freshDir("datasets");
  Misregistration m;
  m.dx = 10, m.dy = -4, m.rotationDeg = 2, m.scale = 1.01;
  const auto c = buildCase(mmreg_test::threeMosPair("SEN_city", 1), m, MisregistrationMode::Georeferencing, dir, "x");
  const auto sen = GeoRaster::open(c.sensed), ref = GeoRaster::open(c.reference);
  const GeoTransform inv = invertGeoTransform(ref.geoTransform());
  // Sensed pixel p is claimed to lie at reference pixel A(p); the truth is p itself.
  for (Point2 p : {Point2{0, 0}, Point2{200, 50}}) {
    const Point2 claimed = applyGeoTransform(inv, applyGeoTransform(sen.geoTransform(), p));
    const Point2 want = m.apply(p, {128, 128});
    EXPECT_NEAR(claimed.x, want.x, 1e-6);
    EXPECT_NEAR(claimed.y, want.y, 1e-6);
    EXPECT_NEAR(c.truthOf(p).x, p.x, 1e-12);
  }
  mmreg_test::removeTree(dir);
}

TEST(Datasets, PixelCaseWithPerspectiveKnowsWhereContentWent) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::string dir = mmreg_test::freshDir("datasets_px");
  Misregistration m;
  m.dx = 6, m.dy = -4, m.rotationDeg = 10, m.scale = 1.1, m.px = 4e-4, m.py = -3e-4;
  AlignedPair pair;
  for (auto& p : loadLandsat(mmreg_test::sharedData() + "/landsat"))
    if (p.name == "landsat/red-nir") pair = p;
  const auto c = buildCase(pair, m, MisregistrationMode::Pixels, dir, "p");
  // Content at original pixel p sits at H(p) in the warped image, and the truth maps it back.
  const Point2 centre{349 / 2.0, 352 / 2.0};
  for (Point2 p : {Point2{100, 120}, Point2{250, 80}, Point2{175, 300}}) {
    const Point2 q = m.apply(p, centre);
    EXPECT_NEAR(c.truthOf(q).x, p.x, 1e-6);
    EXPECT_NEAR(c.truthOf(q).y, p.y, 1e-6);
    EXPECT_NEAR(c.truthInverseOf(p).x, q.x, 1e-6);
  }
  EXPECT_NEAR(m.apply(centre, centre).x, centre.x + 6, 1e-9);  // the perspective part fixes the centre
  // And the pixels moved accordingly: a textured spot keeps its value (nearest pixel, bilinear).
  const auto orig = GeoRaster::open(pair.sensed.path), warped = GeoRaster::open(c.sensed);
  const Image a = orig.readWindow(4, {0, 0, 349, 352}, 349, 352);
  const Image b = warped.readWindow(1, {0, 0, 349, 352}, 349, 352);
  double err = 0;
  int n = 0;
  for (int y = 100; y < 250; y += 7)
    for (int x = 100; x < 250; x += 7) {
      const Point2 q = m.apply({x + 0.5, y + 0.5}, centre);
      err += std::abs(a.at(x, y) - b.at(static_cast<int>(q.x), static_cast<int>(q.y)));
      ++n;
    }
  EXPECT_LT(err / n, 12.0);  // 8-bit NIR: neighbours differ, misplaced content would differ by far more
  Misregistration bad;
  bad.px = 1e-4;
  EXPECT_THROW(buildCase(pair, bad, MisregistrationMode::Georeferencing, dir, "bad"), Error);
  mmreg_test::removeTree(dir);
}
