// GDAL raster access: windows past the edge, decimation through averaging, nodata and alpha
// masks, and the data types the product supports, including complex SAR.
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <complex>
#include <memory>

#include "mmreg/error.h"
#include "mmreg/raster.h"
#include "test_support.h"

using namespace mmreg;

namespace {

std::string makeRaster(const std::string& dir, GDALDataType type, int bands, bool nodata) {
  const std::string path = dir + "/r_" + GDALGetDataTypeName(type) + ".tif";
  auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 40, 30, bands, type, nullptr));
  for (int b = 1; b <= bands; ++b) {
    std::vector<double> v(40 * 30 * 2);
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) {
        v[2 * (y * 40 + x)] = x + 2 * y;      // real part
        v[2 * (y * 40 + x) + 1] = 0;          // imaginary part
      }
    const bool cplx = GDALDataTypeIsComplex(type);
    std::vector<double> real(40 * 30);
    for (size_t i = 0; i < real.size(); ++i) real[i] = v[2 * i];
    if (cplx) {
      for (size_t i = 0; i < real.size(); ++i) v[2 * i] = 3 * real[i], v[2 * i + 1] = 4 * real[i];  // |z| = 5 * real
      EXPECT_EQ(CE_None, ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 40, 30, v.data(), 40, 30, GDT_CFloat64, 0, 0));
    } else {
      EXPECT_EQ(CE_None, ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 40, 30, real.data(), 40, 30, GDT_Float64, 0, 0));
    }
    if (nodata) ds->GetRasterBand(b)->SetNoDataValue(0);
  }
  return path;
}

}  // namespace

class RasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GDALAllRegister();
    dir = mmreg_test::freshDir("raster");
  }
  void TearDown() override { mmreg_test::removeTree(dir); }
  std::string dir;
};

TEST_F(RasterTest, ReadsEachSupportedTypeAsFloat) {
  for (auto t : {GDT_Byte, GDT_UInt16, GDT_Int16, GDT_Float32}) {
    const auto r = GeoRaster::open(makeRaster(dir, t, 1, false));
    const Image img = r.readWindow(1, {5, 4, 10, 8}, 10, 8);
    EXPECT_FLOAT_EQ(img.at(3, 2), (5 + 3) + 2 * (4 + 2)) << GDALGetDataTypeName(t);
    EXPECT_TRUE(img.isValid(9, 7));
  }
}

TEST_F(RasterTest, ComplexSarGivesAmplitude) {
  const auto r = GeoRaster::open(makeRaster(dir, GDT_CFloat32, 1, false));
  EXPECT_TRUE(r.isComplex(1));
  const Image img = r.readWindow(1, {0, 0, 40, 30}, 40, 30);
  EXPECT_NEAR(img.at(7, 3), 5.0 * (7 + 6), 1e-4);
}

TEST_F(RasterTest, WindowPastTheEdgeIsInvalidOutside) {
  const auto r = GeoRaster::open(makeRaster(dir, GDT_Byte, 1, false));
  const Image img = r.readWindow(1, {-10, -5, 30, 20}, 30, 20);
  EXPECT_FALSE(img.isValid(0, 0));
  EXPECT_FALSE(img.isValid(9, 10));
  EXPECT_TRUE(img.isValid(10, 5));
  EXPECT_FLOAT_EQ(img.at(10, 5), 0.f);  // raster pixel (0,0)
  EXPECT_FLOAT_EQ(img.at(12, 6), 2 + 2 * 1);
}

TEST_F(RasterTest, DecimationAverages) {
  const auto r = GeoRaster::open(makeRaster(dir, GDT_Float32, 1, false));
  const Image img = r.readWindow(1, {0, 0, 40, 30}, 20, 15);
  // Output pixel (0,0) averages raster (0..1, 0..1): values 0, 1, 2, 3.
  EXPECT_NEAR(img.at(0, 0), 1.5, 1e-5);
}

TEST_F(RasterTest, NodataIsInvalid) {
  const auto r = GeoRaster::open(makeRaster(dir, GDT_Int16, 1, true));
  const Image img = r.readWindow(1, {0, 0, 40, 30}, 40, 30);
  EXPECT_FALSE(img.isValid(0, 0));  // value 0 is nodata
  EXPECT_TRUE(img.isValid(1, 0));
}

// A nodata value given on opening (-srcnodata, -refnodata) replaces the file's: fill the file
// does not declare is left out, and what the file declared counts as data again.
TEST_F(RasterTest, DeclaredNodataReplacesTheFilesOwn) {
  const auto declared = GeoRaster::open(makeRaster(dir, GDT_Int16, 1, true), 7.0);
  EXPECT_EQ(declared.nodataOverride(), 7.0);
  const Image img = declared.readWindow(1, {0, 0, 40, 30}, 40, 30);
  EXPECT_TRUE(img.isValid(0, 0));   // 0, the file's nodata
  EXPECT_FALSE(img.isValid(7, 0));  // 7 = x + 2y
  EXPECT_FALSE(img.isValid(5, 1));
  EXPECT_TRUE(img.isValid(6, 0));
  // Decimated reads (GDAL's averaging) leave the declared value out too: output pixel (3, 0)
  // covers raster (6..7, 0..1), values 6, 7, 8, 9.
  const auto floats = GeoRaster::open(makeRaster(dir, GDT_Float32, 1, false), 7.0);
  EXPECT_NEAR(floats.readWindow(1, {0, 0, 40, 30}, 20, 15).at(3, 0), (6 + 8 + 9) / 3.0, 1e-4);
  try {
    GeoRaster::open(makeRaster(dir, GDT_Byte, 1, false), -9999.0);
    FAIL() << "a nodata value bytes cannot hold was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("whose pixels are Byte"), std::string::npos) << e.what();
  }
}

TEST_F(RasterTest, AlphaBandMasksAllBands) {
  const std::string path = dir + "/rgba.tif";
  auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* co[] = {"ALPHA=YES", nullptr};
  {
    GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 8, 8, 4, GDT_Byte, const_cast<char**>(co)));
    std::vector<GByte> v(64, 200), a(64, 255);
    a[9] = 0;
    for (int b = 1; b <= 3; ++b) ASSERT_EQ(CE_None, ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 8, 8, v.data(), 8, 8, GDT_Byte, 0, 0));
    ASSERT_EQ(CE_None, ds->GetRasterBand(4)->RasterIO(GF_Write, 0, 0, 8, 8, a.data(), 8, 8, GDT_Byte, 0, 0));
  }
  const auto r = GeoRaster::open(path);
  const Image img = r.readWindow(2, {0, 0, 8, 8}, 8, 8);
  EXPECT_FALSE(img.isValid(1, 1));
  EXPECT_TRUE(img.isValid(2, 1));
}

TEST_F(RasterTest, BadInputsAreClearErrors) {
  try {
    GeoRaster::open(dir + "/missing.tif");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
  const std::string text = dir + "/notes.txt";
  FILE* f = std::fopen(text.c_str(), "w");
  std::fputs("not a raster\n", f);
  std::fclose(f);
  try {
    GeoRaster::open(text);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("as a raster"), std::string::npos) << e.what();
  }
  const auto r = GeoRaster::open(makeRaster(dir, GDT_Byte, 2, false));
  try {
    r.checkBand(3, "sensed band (-b)");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 2 band(s)"), std::string::npos) << e.what();
  }
}

// A subdataset is opened by GDAL's connection string, which names no file; the container itself
// (several rasters, no bands of its own) is refused with the name of one to give.
TEST_F(RasterTest, SubdatasetsAreOpenedByTheirConnectionString) {
  const std::string path = dir + "/two.gpkg";
  auto* gpkg = GetGDALDriverManager()->GetDriverByName("GPKG");
  ASSERT_NE(gpkg, nullptr);
  for (const char* table : {"a", "b"}) {
    CPLStringList options;
    options.SetNameValue("RASTER_TABLE", table);
    if (table[0] == 'b') options.SetNameValue("APPEND_SUBDATASET", "YES");
    GDALDatasetUniquePtr ds(gpkg->Create(path.c_str(), 40, 30, 1, GDT_Byte, options.List()));
    ASSERT_TRUE(ds) << table;
    double gt[6] = {500000, 10, 0, 4000000, 0, -10};
    ds->SetGeoTransform(gt);
    OGRSpatialReference utm;
    utm.importFromEPSG(32633);
    ds->SetSpatialRef(&utm);
    ASSERT_EQ(ds->GetRasterBand(1)->Fill(table[0] == 'a' ? 10 : 20), CE_None);
  }
  const auto b = GeoRaster::open("GPKG:" + path + ":b");
  EXPECT_EQ(b.width(), 40);
  EXPECT_EQ(b.height(), 30);
  try {
    GeoRaster::open(path);
    FAIL() << "a container of subdatasets was opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 2 subdatasets"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'GPKG:" + path + ":a'"), std::string::npos) << e.what();
  }
}

namespace {

// A 100 x 100 GeoTIFF in `epsg` whose centre pixel lies at (lon, lat), `size` CRS units a pixel.
std::string georeferenced(const std::string& dir, int epsg, double lon, double lat, double size) {
  OGRSpatialReference crs, wgs84;
  crs.importFromEPSG(epsg);
  wgs84.importFromEPSG(4326);
  crs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&wgs84, &crs));
  double x = lon, y = lat;
  EXPECT_TRUE(ct && ct->Transform(1, &x, &y));
  const std::string path = dir + "/g" + std::to_string(epsg) + ".tif";
  GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(path.c_str(), 100, 100, 1, GDT_Byte, nullptr));
  double gt[6] = {x - 50 * size, size, 0, y + 50 * size, 0, -size};
  ds->SetGeoTransform(gt);
  ds->SetSpatialRef(&crs);
  return path;
}

}  // namespace

// Reports give errors in metres on the ground, whatever the CRS's units: the expected values are
// published lengths of a degree on WGS 84 and the projections' scale factors (Snyder 1987).
TEST_F(RasterTest, GroundPixelSizeIsInMetresWhateverTheCrsUnits) {
  // Degrees at 45 deg N: a degree of latitude is 111132.95 m, of longitude 78846.81 m.
  const double degrees = groundPixelSizeMetres(GeoRaster::open(georeferenced(dir, 4326, 10, 45, 0.001)));
  EXPECT_NEAR(degrees, std::sqrt(111.13295 * 78.84681), 0.01);
  // UTM on its central meridian: scale factor 0.9996.
  EXPECT_NEAR(groundPixelSizeMetres(GeoRaster::open(georeferenced(dir, 32611, -117, 34, 20))), 20 / 0.9996, 0.002);
  // World Mercator at 60 deg N stretches by sec(phi) sqrt(1 - e^2 sin^2(phi)) = 1.99497.
  EXPECT_NEAR(groundPixelSizeMetres(GeoRaster::open(georeferenced(dir, 3395, 10, 60, 10))), 10 / 1.994972, 0.001);
  // US survey feet (California zone 3): 0.3048006 m, within the zone's 1:10000 scale error.
  EXPECT_NEAR(groundPixelSizeMetres(GeoRaster::open(georeferenced(dir, 2227, -122, 37.5, 1))), 0.3048006, 0.3048 * 1e-4);
  // No CRS: unknown, not a guess.
  EXPECT_TRUE(std::isnan(groundPixelSizeMetres(GeoRaster::open(makeRaster(dir, GDT_Byte, 1, false)))));
}

// A paletted band reads as the luminance of its colours, not as its indices: every pixel at full
// resolution (the last row and column too), the mean of the colours when decimating, and a
// transparent entry as no data.
TEST_F(RasterTest, PalettedBandReadsAsTheLuminanceOfItsColours) {
  const std::string path = dir + "/paletted.png";  // PNG palettes keep alpha (TIFF colour maps have none)
  {
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("MEM")->Create("", 40, 30, 1, GDT_Byte, nullptr));
    GDALColorTable table;
    for (short i = 0; i < 4; ++i) {
      const GDALColorEntry e{static_cast<short>(200 - 50 * i), static_cast<short>(10 * i), 0, static_cast<short>(i == 3 ? 0 : 255)};
      table.SetColorEntry(i, &e);
    }
    ds->GetRasterBand(1)->SetColorTable(&table);
    ds->GetRasterBand(1)->SetColorInterpretation(GCI_PaletteIndex);
    std::vector<GByte> index(40 * 30);
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) index[y * 40 + x] = static_cast<GByte>((x / 2 + y) % 3);
    index[0] = 3;  // transparent
    ASSERT_EQ(CE_None, ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 40, 30, index.data(), 40, 30, GDT_Byte, 0, 0));
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("PNG");
    GDALDatasetUniquePtr png(driver->CreateCopy(path.c_str(), ds.get(), FALSE, nullptr, nullptr, nullptr));
    ASSERT_TRUE(png);
  }
  const auto lum = [](int i) { return static_cast<float>(0.299 * (200 - 50 * i) + 0.587 * (10 * i)); };
  const auto r = GeoRaster::open(path);
  const Image full = r.readWindow(1, {0, 0, 40, 30}, 40, 30);
  EXPECT_FALSE(full.isValid(0, 0));
  for (const auto [x, y] : {std::pair{1, 0}, {5, 7}, {39, 29}, {39, 0}, {0, 29}}) {
    EXPECT_TRUE(full.isValid(x, y)) << x << "," << y;
    EXPECT_NEAR(full.at(x, y), lum((x / 2 + y) % 3), 1e-3) << x << "," << y;
  }
  // 2 x 2 blocks: columns 2k and 2k+1 share an index, rows y and y+1 differ by one.
  const Image half = r.readWindow(1, {0, 0, 40, 30}, 20, 15);
  EXPECT_NEAR(half.at(3, 4), 0.5 * (lum((3 + 8) % 3) + lum((3 + 9) % 3)), 1e-3);
}
