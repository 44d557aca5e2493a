// Sensed rasters georeferenced in the other ways GDAL knows: GCPs instead of a geotransform, a
// different CRS and pixel size (PROJ), and outputs on the sensed's own grid or as COG.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <cpl_json.h>
#include <gdal_utils.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "mmreg/raster.h"
#include "pipeline/content_check.h"
#include "pipeline/match_context.h"
#include "test_support.h"

using namespace mmreg;

namespace {

const std::string kRef = mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif";
const std::string kSen = mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif";

}  // namespace

class GeoreferencingInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    GDALAllRegister();
    dir = mmreg_test::freshDir("georef_inputs");
  }
  void TearDown() override { mmreg_test::removeTree(dir); }
  // The sensed sample reprojected to WGS 84 geographic at about 40 m.
  std::string reprojectedSensed() { return toWgs84(kSen, dir + "/wgs84.tif"); }
  std::string toWgs84(const std::string& path, const std::string& geo) {
    GDALDatasetUniquePtr src(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
    CPLStringList args;
    for (const char* a : {"-t_srs", "EPSG:4326", "-tr", "0.00036", "0.00036", "-r", "bilinear", "-of", "GTiff"}) args.AddString(a);
    GDALWarpAppOptions* opt = GDALWarpAppOptionsNew(args.List(), nullptr);
    GDALDatasetH h = src.get();
    GDALDatasetUniquePtr out(GDALDataset::FromHandle(GDALWarp(geo.c_str(), nullptr, 1, &h, opt, nullptr)));
    GDALWarpAppOptionsFree(opt);
    EXPECT_TRUE(out);
    return geo;
  }
  std::string dir;
};

TEST_F(GeoreferencingInputs, SensedWithGcpsInsteadOfAGeotransform) {
  // Replace the (wrong) geotransform of the sample by 16 GCPs that carry the same wrong mapping.
  const std::string gcpSen = dir + "/gcps.tif";
  {
    GDALDatasetUniquePtr src(GDALDataset::Open(kSen.c_str(), GDAL_OF_RASTER));
    const int w = src->GetRasterXSize(), h = src->GetRasterYSize();
    GDALDatasetUniquePtr out(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(gcpSen.c_str(), w, h, 1, GDT_Byte, nullptr));
    std::vector<GByte> px(static_cast<size_t>(w) * h);
    ASSERT_EQ(CE_None, src->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0));
    ASSERT_EQ(CE_None, out->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0));
    double gt[6];
    src->GetGeoTransform(gt);
    std::vector<GDAL_GCP> gcps;
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 4; ++i) {
        const double c = w * i / 3.0, r = h * j / 3.0;
        gcps.push_back({const_cast<char*>(""), const_cast<char*>(""), c, r, gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5], 0});
      }
    ASSERT_EQ(CE_None, out->SetGCPs(static_cast<int>(gcps.size()), gcps.data(), src->GetSpatialRef()));
  }
  ASSERT_EQ(GeoRaster::open(gcpSen).georefKind(), GeorefKind::Gcps);
  const auto r = mmreg_test::runCli("-q -georef_only " + kRef + " " + gcpSen + " " + dir + "/o.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  // The sample's truth: sensed pixel (c, r) lies at reference pixel (c, r).
  EXPECT_LT(mmreg_test::worstMappingError(dir + "/o.tif", kRef, [](Point2 p) { return p; }, 60, 300, 4), 0.5);
}

TEST_F(GeoreferencingInputs, SensedInAnotherCrsAndPixelSize) {
  // PROJ relates the grids.
  const std::string geo = reprojectedSensed();
  const auto r = mmreg_test::runCli("-q -model affine " + kRef + " " + geo + " " + dir + "/o.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  // The output is on the reference grid: its pixel (c, r) must hold reference pixel (c, r).
  const auto o = GeoRaster::open(dir + "/o.tif"), ref = GeoRaster::open(kRef);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(o.geoTransform()[i], ref.geoTransform()[i], 1e-6);
  // Content check: the warped SWIR correlates with the aligned original SWIR band.
  const Image a = o.readWindow(1, {40, 40, 260, 260}, 260, 260);
  const Image b = GeoRaster::open(mmreg_test::sharedData() + "/landsat/L7_ETMs.tif").readWindow(5, {40, 40, 260, 260}, 260, 260);
  if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "no shared data for the content check";
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  const double n = a.pixels.size();
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    sa += a.pixels[i], sb += b.pixels[i], sab += a.pixels[i] * b.pixels[i];
    saa += a.pixels[i] * a.pixels[i], sbb += b.pixels[i] * b.pixels[i];
  }
  const double corr = (sab - sa * sb / n) / std::sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
  EXPECT_GT(corr, 0.8);  // resampled twice (to 40 m and back), so not 1
}

// A reference in degrees: the errors are still given in metres on the ground (they were given in
// degrees labelled as metres: "0.00 m").
TEST_F(GeoreferencingInputs, ReferenceInDegreesGivesErrorsInMetres) {
  const std::string geoRef = toWgs84(kRef, dir + "/ref_wgs84.tif");
  const auto r = mmreg_test::runCli("-model affine -report " + dir + "/r.json " + geoRef + " " + kSen + " -");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  CPLJSONDocument doc;
  ASSERT_TRUE(doc.Load(dir + "/r.json"));
  const auto acc = doc.GetRoot().GetObj("accuracy");
  // 0.00036 deg at 8.0 deg S (the sample's latitude), from the series for the length of a degree
  // on WGS 84: 39.81 m north-south, 39.69 m east-west.
  const double metres = acc.GetDouble("reference_pixel_size_m");
  EXPECT_NEAR(metres, std::sqrt(39.81 * 39.69), 0.1);
  EXPECT_NEAR(acc.GetDouble("rmse_fit_m"), acc.GetDouble("rmse_fit_px") * metres, 1e-6);
  char line[96];
  std::snprintf(line, sizeof line, "RMSE fit: %.3f px (%.2f m)", acc.GetDouble("rmse_fit_px"), acc.GetDouble("rmse_fit_m"));
  EXPECT_NE(r.output.find(line), std::string::npos) << r.output;
}

// -max_offset is metres on the ground: the same search on a reference in degrees as in UTM.
TEST_F(GeoreferencingInputs, MaxOffsetIsInMetresWhateverTheReferenceCrs) {
  MatchOptions o;
  const auto utm = GeoRaster::open(kRef), degrees = GeoRaster::open(toWgs84(kRef, dir + "/ref_wgs84.tif"));
  EXPECT_EQ(georefReachPx(degrees, o), 256);  // the default: reference pixels
  o.maxOffset = 3975;
  EXPECT_NEAR(georefReachPx(degrees, o), 3975 / std::sqrt(39.81 * 39.69), 0.5);  // 0.00036 deg pixels at 8 deg S
  EXPECT_NEAR(georefReachPx(utm, o), 3975 / groundPixelSizeMetres(utm), 1e-9);
  EXPECT_NEAR(groundPixelSizeMetres(utm), utm.pixelSize(), 0.01 * utm.pixelSize());  // UTM: metres, within its scale error
}

// A reference that is mostly nodata (a scene edge, a mosaic's collar): the matching goes where
// both rasters have data. It used to search the whole footprint, and the first pass's few large
// templates, straddling the nodata, found no match.
TEST_F(GeoreferencingInputs, ReferenceMostlyNodataIsMatchedWhereItHasData) {
  const std::string partial = dir + "/partial_ref.tif";
  ASSERT_TRUE(mmreg_test::copyWithEditedPixels(
      kRef, partial,
      [](std::vector<unsigned char>& px, int w, int h) {
        std::fill(px.begin() + static_cast<size_t>(w) * (h * 2 / 5), px.end(), 0);  // the sample's darkest pixel is 21
      },
      0));
  const auto r = mmreg_test::runCli("-q -georef_only " + partial + " " + kSen + " " + dir + "/o.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  // The sample's truth: sensed pixel (c, r) lies at reference pixel (c, r); checked over the
  // whole image, most of it fitted from the reference's upper 40 %.
  EXPECT_LT(mmreg_test::worstMappingError(dir + "/o.tif", kRef, [](Point2 p) { return p; }, 20, 330, 6), 1.0);
}

// A sensed scene inside a black collar that its file does not declare as nodata (as a rotated
// scene cut to a north-up frame often is): -srcnodata 0 leaves the collar out of the matching
// and of the output, as gdalwarp -srcnodata does; without it the collar is warped as data, and
// the run warns and names the option.
TEST_F(GeoreferencingInputs, UndeclaredCollarIsLeftOutWithSrcnodata) {
  const std::string collared = dir + "/collared_sen.tif";
  ASSERT_TRUE(mmreg_test::copyWithEditedPixels(
      kSen, collared,
      [](std::vector<unsigned char>& px, int w, int h) {
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x)  // corner triangles with legs of 120 px; the sample's darkest pixel is 1
            if (std::min(x, w - 1 - x) + std::min(y, h - 1 - y) < 120) px[static_cast<size_t>(y) * w + x] = 0;
      },
      std::nullopt));
  auto alphaAt = [](const std::string& path, int x, int y) {
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
    GByte a = 1;
    EXPECT_EQ(CE_None, ds->GetRasterBand(2)->RasterIO(GF_Read, x, y, 1, 1, &a, 1, 1, GDT_Byte, 0, 0));
    return static_cast<int>(a);
  };
  // The truth maps sensed pixel (c, r) to reference pixel (c, r): reference (20, 20) lies under
  // the collar, (175, 175) in the scene.
  const auto plain = mmreg_test::runCli("-q -dstalpha " + kRef + " " + collared + " " + dir + "/plain.tif");
  ASSERT_EQ(plain.exitCode, 0) << plain.output;
  EXPECT_EQ(alphaAt(dir + "/plain.tif", 20, 20), 255);
  EXPECT_NE(plain.output.find("collared_sen.tif' has 24 % of its pixels at 0 joined to its edges"), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("declare it with -srcnodata 0"), std::string::npos) << plain.output;
  const auto declared = mmreg_test::runCli("-q -srcnodata 0 -dstalpha " + kRef + " " + collared + " " + dir + "/declared.tif");
  ASSERT_EQ(declared.exitCode, 0) << declared.output;
  EXPECT_EQ(declared.output.find("no-data"), std::string::npos) << declared.output;
  EXPECT_EQ(alphaAt(dir + "/declared.tif", 20, 20), 0);
  EXPECT_EQ(alphaAt(dir + "/declared.tif", 175, 175), 255);
  // A VRT output names the file, which lacks the value: the VRT declares it itself.
  const auto vrt = mmreg_test::runCli("-q -srcnodata 0 -georef_only -of VRT " + kRef + " " + collared + " " + dir + "/g.vrt");
  ASSERT_EQ(vrt.exitCode, 0) << vrt.output;
  GDALDatasetUniquePtr g(GDALDataset::Open((dir + "/g.vrt").c_str(), GDAL_OF_RASTER));
  int hasNodata = FALSE;
  EXPECT_EQ(g->GetRasterBand(1)->GetNoDataValue(&hasNodata), 0.0);
  EXPECT_TRUE(hasNodata);
  EXPECT_LT(mmreg_test::worstMappingError(dir + "/g.vrt", kRef, [](Point2 p) { return p; }, 20, 330, 6), 1.0);
}

// Only zeros joined to the edges count as undeclared fill: not a dark area inside the scene, not
// zeros the file declares (masked), and none in the bundled samples.
TEST(UndeclaredFill, CountsValidZerosJoinedToTheEdgesOnly) {
  for (const auto& path : {kRef, kSen, mmreg_test::sampleData() + "/s1s2_075_ref.tif", mmreg_test::sampleData() + "/s1s2_075_sensed.tif"}) {
    const auto r = GeoRaster::open(path);
    const int f = r.width() > 512 ? 2 : 1;  // as the overviews are read
    EXPECT_EQ(undeclaredZeroFill(r.readBands({1}, {0, 0, r.width(), r.height()}, r.width() / f, r.height() / f)[0]), 0.0) << path;
  }
  Image img(100, 80, 0.5f);
  for (int y = 0; y < 80; ++y)
    for (int x = 0; x < 10; ++x) img.at(x, y) = 0;  // a collar strip on the left: 800 pixels
  for (int y = 30; y < 50; ++y)
    for (int x = 40; x < 60; ++x) img.at(x, y) = 0;  // a dark lake inside: not fill
  EXPECT_DOUBLE_EQ(undeclaredZeroFill(img), 800.0 / 8000);
  img.valid.assign(img.pixels.size(), 1);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 10; ++x) img.valid[static_cast<size_t>(y) * 100 + x] = 0;  // half the strip declared no-data
  EXPECT_DOUBLE_EQ(undeclaredZeroFill(img), 400.0 / 8000);
}

// A reference with clouds masked as nodata, scattered over the scene (what a cloud mask leaves
// of an optical image, the usual reason to register SAR to it): templates and confirmation
// windows partly under the mask are correlated over their valid pixels. They needed 90 % valid
// pixels, and the first pass's large templates found none.
TEST_F(GeoreferencingInputs, ReferenceWithCloudsMaskedAsNodata) {
  const std::string clouded = dir + "/clouded_ref.tif";
  size_t masked = 0, all = 0;
  ASSERT_TRUE(mmreg_test::copyWithEditedPixels(
      kRef, clouded,
      [&](std::vector<unsigned char>& px, int w, int h) {
        std::mt19937 rng(7);
        for (int k = 0; k < 24; ++k) {  // discs of 30 px radius, overlapping: 38 % of the image
          const int cx = static_cast<int>(rng() % w), cy = static_cast<int>(rng() % h);
          for (int y = std::max(0, cy - 30); y < std::min(h, cy + 31); ++y)
            for (int x = std::max(0, cx - 30); x < std::min(w, cx + 31); ++x)
              if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= 900) px[static_cast<size_t>(y) * w + x] = 0;  // the darkest pixel is 21
        }
        for (auto v : px) masked += v == 0;
        all = px.size();
      },
      0));
  ASSERT_GT(masked, all * 3 / 10);
  const auto r = mmreg_test::runCli("-q -georef_only " + clouded + " " + kSen + " " + dir + "/o.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_LT(mmreg_test::worstMappingError(dir + "/o.tif", kRef, [](Point2 p) { return p; }, 20, 330, 6), 1.0);
}

// The content searches read the sensed image at the reference overview's resolution: for a small
// reference inside a large scene that is most of the scene (tens of GB for a whole SAR scene
// against a 1000 px chip). Both overviews are read coarser instead, at the same ground
// resolution ratio, the sensed one within 16 times longest² pixels.
TEST_F(GeoreferencingInputs, ContentSearchOverviewsStayBoundedForASmallReferenceInALargeScene) {
  const std::string chip = dir + "/chip.tif";
  ASSERT_TRUE(mmreg_test::cropRaster(kRef, chip, 100, 100, 64, 64));
  const auto ref = GeoRaster::open(chip), sen = GeoRaster::open(kSen);
  MatchOptions mo;
  const MatchContext c = makeMatchContext(ref, sen, mo);
  const int longest = 32;  // the sensed image (349 x 352) at the chip's overview resolution: 175 x 176, over the budget
  const Overviews o = readOverviews(c, 1.0, longest);
  EXPECT_LE(static_cast<double>(o.sen.width) * o.sen.height, 16.0 * longest * longest);
  EXPECT_GT(static_cast<double>(o.sen.width) * o.sen.height, 0.8 * 16.0 * longest * longest);
  EXPECT_NEAR(o.senScale, o.refScale, 1e-9);  // the same ground resolution, as the search needs
  EXPECT_LT(o.ref.width, longest);
}

TEST_F(GeoreferencingInputs, OwnGridAndCogOutput) {
  const auto r = mmreg_test::runCli("-q -target own -of COG -co COMPRESS=DEFLATE " + kRef + " " + reprojectedSensed() + " " +
                                    dir + "/own.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  GDALDatasetUniquePtr o(GDALDataset::Open((dir + "/own.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(o);
  EXPECT_STREQ(o->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  EXPECT_STREQ(o->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "DEFLATE");
  // The sensed's own grid: the reference CRS at about the sensed resolution (~40 m, not 28.5 m).
  const auto own = GeoRaster::open(dir + "/own.tif"), ref = GeoRaster::open(kRef);
  EXPECT_EQ(own.crsWkt(), ref.crsWkt());
  EXPECT_GT(own.pixelSize(), 1.2 * ref.pixelSize());
  EXPECT_LT(own.width(), ref.width());
  EXPECT_EQ(own.dataTypeName(1), "Byte");  // original data type kept
  // Content lands where the reference has it: sampled at reference pixels through map
  // coordinates, the output correlates with the aligned original SWIR band.
  if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "no shared data for the content check";
  const Image img = own.readWindow(1, {0, 0, own.width(), own.height()}, own.width(), own.height());
  const Image truth = GeoRaster::open(mmreg_test::sharedData() + "/landsat/L7_ETMs.tif").readWindow(5, {0, 0, 349, 352}, 349, 352);
  const GeoTransform toOwn = invertGeoTransform(own.geoTransform());
  std::vector<double> a, b;
  for (int y = 40; y < 310; y += 3)
    for (int x = 40; x < 310; x += 3) {
      const Point2 q = applyGeoTransform(toOwn, applyGeoTransform(ref.geoTransform(), {x + 0.5, y + 0.5}));
      const int qx = static_cast<int>(q.x), qy = static_cast<int>(q.y);
      if (qx < 0 || qy < 0 || qx >= img.width || qy >= img.height || !img.isValid(qx, qy)) continue;
      a.push_back(img.at(qx, qy));
      b.push_back(truth.at(x, y));
    }
  ASSERT_GT(a.size(), 5000u);
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size(), mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  EXPECT_GT(sab / std::sqrt(saa * sbb), 0.8);
}
