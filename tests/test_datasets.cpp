// Dataset loaders find every pair, and a built case encodes exactly the misregistration asked.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <cmath>

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
  EXPECT_EQ(loadSrif(d + "/srif").size(), 800u);
  const auto p = mmreg_test::threeMosPair("GF3_city", 4);
  EXPECT_EQ(p.group, "GF3");
  EXPECT_EQ(p.reference.window.x, 4 * 264);
  EXPECT_EQ(p.sensed.window.y, 260);
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
