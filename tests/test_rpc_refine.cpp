// -rpc_refine end to end through the CLI on a constructed case with known truth (the Landsat
// scene seen by an oblique camera over its real DEM, RPCs fitted to that camera, then biased):
// the refined RPCs put points where the true ones do, through GDAL's own RPC transformer with
// the DEM; flat ground is measurably worse; bad inputs say what is wrong.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "mmreg/rpc_case.h"
#include "rpc/rpc_model.h"
#include "test_support.h"

namespace {

struct Transformer {
  explicit Transformer(const std::string& raster, const std::string& dem) {
    GDALDatasetUniquePtr ds(GDALDataset::Open(raster.c_str(), GDAL_OF_RASTER));
    EXPECT_TRUE(ds && GDALExtractRPCInfoV2(ds->GetMetadata("RPC"), &info)) << raster;
    CPLStringList opts;
    opts.SetNameValue("RPC_DEM", dem.c_str());
    t = GDALCreateRPCTransformerV2(&info, FALSE, 0.01, opts.List());
  }
  ~Transformer() {
    if (t) GDALDestroyRPCTransformer(t);
  }
  // Pixel/line -> longitude/latitude on the terrain, or back.
  bool run(bool toImage, double* x, double* y) const {
    double z = 0;
    int ok = 0;
    GDALRPCTransform(t, toImage, 1, x, y, &z, &ok);
    return ok;
  }
  GDALRPCInfoV2 info{};
  void* t = nullptr;
};

// Worst image distance, over a grid across the sensed image, between where the true RPCs see a
// terrain point and where `rpcRaster`'s RPCs put it (GDAL's transformer, DEM heights).
double worstErrorAgainstTruth(const mmreg::RpcCase& c, const std::string& rpcRaster) {
  const Transformer truth(c.truth, c.dem), tested(rpcRaster, c.dem);
  double worst = 0;
  for (int j = 1; j <= 7; ++j)
    for (int i = 1; i <= 7; ++i) {
      double x = 320.0 * i / 8, y = 320.0 * j / 8;
      const double px = x, py = y;
      if (!truth.run(false, &x, &y) || !tested.run(true, &x, &y)) return INFINITY;
      worst = std::max(worst, std::hypot(x - px, y - py));
    }
  return worst;
}

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A number of the report's "rpc_refinement" object.
double field(const std::string& json, const std::string& key) {
  const size_t start = json.find("\"rpc_refinement\"");
  const size_t p = start == std::string::npos ? start : json.find("\"" + key + "\":", start);
  return p == std::string::npos ? NAN : std::stod(json.substr(p + key.size() + 3));
}

}  // namespace

class RpcRefine : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "../shared/data missing";
    dir = mmreg_test::freshDir("rpc_refine");
    c = mmreg::makeRpcCase(mmreg_test::sharedData() + "/landsat", dir);
  }
  void TearDown() override {
    if (!dir.empty()) mmreg_test::removeTree(dir);
  }
  std::string dir;
  mmreg::RpcCase c;
};

TEST_F(RpcRefine, OwnRpcEvaluationMatchesGdals) {
  ASSERT_LT(c.fitErrorPx, 0.01) << "the case's RPCs do not reproduce its camera";
  GDALDatasetUniquePtr ds(GDALDataset::Open(c.truth.c_str(), GDAL_OF_RASTER));
  const auto model = mmreg::RpcModel::fromMetadata(ds->GetMetadata("RPC"), "truth");
  void* t = GDALCreateRPCTransformerV2(&model.info(), FALSE, 0.01, nullptr);
  for (double h : {-50.0, 20.0, 90.0}) {
    double x = model.info().dfLONG_OFF + 0.3 * model.info().dfLONG_SCALE, y = model.info().dfLAT_OFF - 0.2 * model.info().dfLAT_SCALE, z = h;
    const mmreg::Point2 own = model.project({x, y, h});
    int ok = 0;
    GDALRPCTransform(t, TRUE, 1, &x, &y, &z, &ok);
    ASSERT_TRUE(ok);
    EXPECT_NEAR(own.x, x, 1e-6) << h;
    EXPECT_NEAR(own.y, y, 1e-6) << h;
  }
  GDALDestroyRPCTransformer(t);
}

TEST_F(RpcRefine, RefinedRpcsMatchTheTruthThroughGdalWithTheDem) {
  EXPECT_GT(worstErrorAgainstTruth(c, c.sensed), 20) << "the delivered RPCs should be tens of pixels off";
  const auto r = mmreg_test::runCli("-q -rpc_refine -dem " + c.dem + " -report " + dir + "/r.json -html " + dir + "/r.html " + c.reference +
                                    " " + c.sensed + " " + dir + "/refined.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_LT(worstErrorAgainstTruth(c, dir + "/refined.tif"), 0.5);
  // The pixels are the sensed raster's, unchanged.
  GDALDatasetUniquePtr a(GDALDataset::Open(c.sensed.c_str(), GDAL_OF_RASTER)), b(GDALDataset::Open((dir + "/refined.tif").c_str(), GDAL_OF_RASTER));
  EXPECT_EQ(GDALChecksumImage(a->GetRasterBand(1), 0, 0, 320, 320), GDALChecksumImage(b->GetRasterBand(1), 0, 0, 320, 320));
  EXPECT_EQ(b->GetMetadata("RPC") != nullptr, true);
  // And gdaltransform, as an orthorectification pipeline would call it, agrees.
  const auto centre = mmreg_test::runProgram("/bin/sh", "-c \"echo 160 160 | gdaltransform -rpc -to RPC_DEM=" + c.dem + " " + c.truth +
                                                            " | gdaltransform -i -rpc -to RPC_DEM=" + c.dem + " " + dir + "/refined.tif\"");
  double x = 0, y = 0;
  ASSERT_EQ(std::sscanf(centre.output.c_str(), "%lf %lf", &x, &y), 2) << centre.output;
  EXPECT_NEAR(x, 160, 0.5);
  EXPECT_NEAR(y, 160, 0.5);
  const std::string report = readAll(dir + "/r.json");
  EXPECT_NE(report.find("\"rpc_refinement\""), std::string::npos);
  EXPECT_LT(field(report, "rmse_check_px"), 0.5);
  EXPECT_GT(field(report, "rmse_check_before_px"), 20);
  EXPECT_NE(readAll(dir + "/r.html").find("RPC refinement"), std::string::npos);
}

// A VRT output names the sensed raster it refines. Given inside an archive named from the
// current folder (/vsizip/scene.zip/sensed.tif), the VRT named it so, and could be read only from
// that folder.
TEST_F(RpcRefine, VrtOutputReachesAZippedSensedRasterFromAnyFolder) {
  const std::string zipped = "/vsizip/" + dir + "/scene.zip/sensed.tif";
  ASSERT_EQ(CPLCopyFile(zipped.c_str(), c.sensed.c_str()), 0);
  const auto r = mmreg_test::runProgram("/bin/sh", "-c \"cd '" + dir + "' && '" + MMREG_CLI + "' -q -rpc_refine -dem '" + c.dem +
                                                        "' '" + c.reference + "' /vsizip/scene.zip/sensed.tif refined.vrt\"");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  GDALDatasetUniquePtr a(GDALDataset::Open(c.sensed.c_str(), GDAL_OF_RASTER));
  GDALDatasetUniquePtr b(GDALDataset::Open((dir + "/refined.vrt").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(b);
  CPLErrorReset();
  EXPECT_EQ(GDALChecksumImage(a->GetRasterBand(1), 0, 0, 320, 320), GDALChecksumImage(b->GetRasterBand(1), 0, 0, 320, 320));
  EXPECT_EQ(CPLGetLastErrorType(), CE_None) << CPLGetLastErrorMsg();
  EXPECT_NE(b->GetMetadata("RPC"), nullptr);
}

// Without a DEM the tie points are placed on flat ground: relief then shows as error, in the
// report's check points and against the truth.
TEST_F(RpcRefine, FlatGroundIsMeasurablyWorseThanTheDem) {
  auto r = mmreg_test::runCli("-q -rpc_refine -dem " + c.dem + " -report " + dir + "/dem.json " + c.reference + " " + c.sensed + " " + dir +
                              "/with_dem.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = mmreg_test::runCli("-q -rpc_refine -report " + dir + "/flat.json " + c.reference + " " + c.sensed + " " + dir + "/flat.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const std::string dem = readAll(dir + "/dem.json"), flat = readAll(dir + "/flat.json");
  EXPECT_NE(flat.find("flat ground"), std::string::npos);
  EXPECT_GT(field(flat, "rmse_check_px"), 2 * field(dem, "rmse_check_px"));
  EXPECT_GT(worstErrorAgainstTruth(c, dir + "/flat.tif"), 1.0);
}

TEST_F(RpcRefine, BadInputsSayWhatIsWrong) {
  const std::string ref = c.reference, out = dir + "/o.tif";
  // No RPCs on the sensed raster.
  auto r = mmreg_test::runCli("-q -rpc_refine " + ref + " " + mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif " + out);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("has no RPC model"), std::string::npos) << r.output;
  // A DEM covering only a corner.
  const std::string corner = dir + "/corner.tif";
  ASSERT_EQ(mmreg_test::runProgram("gdal_translate", "-q -srcwin 0 0 20 20 " + c.dem + " " + corner).exitCode, 0);
  r = mmreg_test::runCli("-q -rpc_refine -dem " + corner + " " + ref + " " + c.sensed + " " + out);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("does not cover the overlap"), std::string::npos) << r.output;
  // A DEM without CRS.
  const std::string nocrs = dir + "/nocrs.tif";
  {
    GDALDatasetUniquePtr src(GDALDataset::Open(c.dem.c_str(), GDAL_OF_RASTER));
    GDALDatasetUniquePtr mem(GetGDALDriverManager()->GetDriverByName("MEM")->CreateCopy("", src.get(), FALSE, nullptr, nullptr, nullptr));
    mem->SetSpatialRef(nullptr);
    GDALDatasetUniquePtr(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(nocrs.c_str(), mem.get(), FALSE, nullptr, nullptr, nullptr));
  }
  r = mmreg_test::runCli("-q -rpc_refine -dem " + nocrs + " " + ref + " " + c.sensed + " " + out);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("has no CRS"), std::string::npos) << r.output;
  // No output raster to write the RPCs into.
  r = mmreg_test::runCli("-q -rpc_refine " + ref + " " + c.sensed + " -");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("give an output path"), std::string::npos) << r.output;
  EXPECT_FALSE(mmreg_test::fileExists(out));
  // A format that drops the RPCs (XYZ), or rounds them past a twentieth of a pixel (NITF's
  // RPC00B here), would leave an output without the refinement: an error, and nothing written.
  for (const char* format : {"XYZ", "NITF"}) {
    const std::string o = dir + "/o." + CPLString(format).tolower();
    r = mmreg_test::runCli("-q -rpc_refine -dem " + c.dem + " -of " + format + " " + ref + " " + c.sensed + " " + o);
    EXPECT_EQ(r.exitCode, 1) << format;
    EXPECT_NE(r.output.find("the " + std::string(format) + " format did not keep the refined RPCs"), std::string::npos) << r.output;
    EXPECT_FALSE(mmreg_test::fileExists(o)) << format;
  }
}
