// Bad input through the real mmreg binary: a clear message, the right exit code, and nothing
// partial left behind. Plus cancel through the library's progress callback.
#include <gdal_alg.h>
#include <cpl_json.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <fstream>
#include <random>
#include <utility>

#include "mmreg/coregister.h"
#include "mmreg/error.h"
#include "mmreg/features.h"
#include "test_support.h"

namespace {

const std::string kRef = mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif";
const std::string kSen = mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif";

}  // namespace

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    GDALAllRegister();
    dir = mmreg_test::freshDir("cli_errors");
    out = mmreg_test::freshDir("cli_errors_out");
  }
  void TearDown() override {
    mmreg_test::removeTree(dir);
    mmreg_test::removeTree(out);
  }
  // A copy of the sensed sample, edited by `edit`.
  std::string variant(const std::string& name, const std::function<void(GDALDataset&)>& edit) {
    const std::string p = dir + "/" + name + ".tif";
    GDALDatasetUniquePtr src(GDALDataset::Open(kSen.c_str(), GDAL_OF_RASTER));
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(p.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
    edit(*ds);
    return p;
  }
  void expectFailure(const std::string& args, int code, const std::string& message) {
    const auto r = mmreg_test::runCli("-q " + args);
    EXPECT_EQ(r.exitCode, code) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << "wanted '" << message << "' in: " << r.output;
    EXPECT_EQ(mmreg_test::countEntries(out), 0) << "partial output left behind for: " << args;
  }
  std::string dir, out;
};

TEST_F(CliErrors, MissingOrUnreadableInputs) {
  expectFailure(dir + "/nope.tif " + kSen + " " + out + "/o.tif", 1, "does not exist");
  std::ofstream(dir + "/notes.txt") << "hello";
  expectFailure(dir + "/notes.txt " + kSen + " " + out + "/o.tif", 1, "as a raster");
}

TEST_F(CliErrors, FootprintsThatDoNotOverlap) {
  const auto far = variant("far", [](GDALDataset& d) {
    double gt[6];
    d.GetGeoTransform(gt);
    gt[0] += 1e6;
    d.SetGeoTransform(gt);
  });
  expectFailure("-coarse never " + kRef + " " + far + " " + out + "/o.tif", 1, "do not overlap");
}

// Georeferencing 5000 km off: the coarse pass registers the image by its content, and the
// analyst is told how far off the file's georeferencing is, on stderr and in the report.
TEST_F(CliErrors, FarOffGeoreferencingIsReportedWhenTheCoarsePassRegisters) {
  const auto far = variant("far", [](GDALDataset& d) {
    double gt[6];
    d.GetGeoTransform(gt);
    gt[3] -= 5e6;
    d.SetGeoTransform(gt);
  });
  const auto r = mmreg_test::runCli("-q -report " + out + "/r.json " + kRef + " " + far + " " + out + "/o.tif");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  // 5000 km of UTM northing, a little less on the ground (the projection's scale factor there).
  const std::string warning = "Warning 1: mmreg: the sensed raster '" + far + "' carries georeferencing that is off by ";
  EXPECT_TRUE(r.output.find(warning + "4999.") != std::string::npos || r.output.find(warning + "5000.") != std::string::npos)
      << r.output;
  std::ifstream in(out + "/r.json");
  const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("\"warnings\":["), std::string::npos);
  EXPECT_TRUE(report.find("that is off by 4999.") != std::string::npos || report.find("that is off by 5000.") != std::string::npos)
      << report.substr(0, 400);
  // A georeferencing that is right draws no warning.
  const auto ok = mmreg_test::runCli("-q -overwrite -report " + out + "/r.json " + kRef + " " + kSen + " " + out + "/o.tif");
  EXPECT_EQ(ok.output.find("Warning"), std::string::npos) << ok.output;
}

// A GCP-only sensed image that cannot be registered: advice to run the coarse pass appears only
// where it did not run (-coarse never); under -coarse auto it has run, and suggesting it again
// (the advice GCP-only input used to get) would only fail the same way.
TEST_F(CliErrors, CoarsePassIsSuggestedOnlyWhereItDidNotRun) {
  const auto noise = variant("noise", [](GDALDataset& d) {
    double gt[6];
    d.GetGeoTransform(gt);
    std::vector<GDAL_GCP> gcps(4);
    const double cols[4] = {0, 349, 0, 349}, rows[4] = {0, 0, 352, 352};
    char id[] = "", info[] = "";
    for (int k = 0; k < 4; ++k)
      gcps[k] = {id, info, cols[k], rows[k], gt[0] + cols[k] * gt[1] + rows[k] * gt[2], gt[3] + cols[k] * gt[4] + rows[k] * gt[5], 0};
    ASSERT_EQ(CE_None, d.SetGCPs(4, gcps.data(), d.GetSpatialRef()));
    std::mt19937 rng(3);
    std::vector<GByte> v(static_cast<size_t>(d.GetRasterXSize()) * d.GetRasterYSize());
    for (auto& x : v) x = static_cast<GByte>(rng() & 255);
    ASSERT_EQ(CE_None, d.GetRasterBand(1)->RasterIO(GF_Write, 0, 0, d.GetRasterXSize(), d.GetRasterYSize(), v.data(),
                                                    d.GetRasterXSize(), d.GetRasterYSize(), GDT_Byte, 0, 0));
  });
  GDALDatasetUniquePtr check(GDALDataset::Open(noise.c_str(), GDAL_OF_RASTER));
  double gt[6];
  ASSERT_EQ(check->GetGCPCount(), 4);
  ASSERT_NE(check->GetGeoTransform(gt), CE_None) << "the variant must carry GCPs only";
  check.reset();
  auto r = mmreg_test::runCli("-q " + kRef + " " + noise + " " + out + "/o.tif");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_EQ(r.output.find("-coarse always"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("-coarse auto"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("coarse hypothesis 1 of"), std::string::npos) << "the coarse pass should have run: " << r.output;
  r = mmreg_test::runCli("-q -coarse never " + kRef + " " + noise + " " + out + "/o.tif");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("was not run (-coarse never): allow it with -coarse auto"), std::string::npos) << r.output;
  EXPECT_EQ(mmreg_test::countEntries(out), 0);
}

// A rotated reference grid cannot take the warped output: refused before any matching (it was
// refused after it), with the ways out; the fitted georeferencing alone (-georef_only) is written.
TEST_F(CliErrors, RotatedReferenceGridIsRefusedUpFrontForTheWarpedOutput) {
  const std::string rotated = dir + "/rotated_ref.tif";
  {
    GDALDatasetUniquePtr src(GDALDataset::Open(kRef.c_str(), GDAL_OF_RASTER));
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(rotated.c_str(), src.get(), FALSE, nullptr,
                                                                                      nullptr, nullptr));
    double gt[6];
    ds->GetGeoTransform(gt);
    gt[2] = 0.5, gt[4] = 0.5;  // turns the grid by about 1 degree
    ds->SetGeoTransform(gt);
  }
  const auto r = mmreg_test::runCli("-q --config CPL_DEBUG MMREG " + rotated + " " + kSen + " " + out + "/o.tif");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("has a rotated grid, which the warped output cannot reproduce"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-target own"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("MMREG:"), std::string::npos) << "matched before refusing: " << r.output;
  EXPECT_EQ(mmreg_test::countEntries(out), 0);
  const auto own = mmreg_test::runCli("-q -georef_only " + rotated + " " + kSen + " " + out + "/g.tif");
  EXPECT_EQ(own.exitCode, 0) << own.output;
}

// A reference too small for the verdict to ever verify a model (room for one 48 px window; three
// are needed) is refused before any matching with that reason: it used to end in "too few tie
// points ... raise -max_tiles or -margin", advice that cannot help. -keep_doubtful still tries.
TEST_F(CliErrors, ReferenceTooSmallToVerifyIsRefusedUpFront) {
  const std::string chip = dir + "/chip.tif";
  ASSERT_TRUE(mmreg_test::cropRaster(kRef, chip, 140, 140, 60, 60));
  expectFailure(chip + " " + kSen + " " + out + "/o.tif", 1,
                "has valid data over only 60 x 60 reference pixels: room for 1 of the verdict's independent windows");
  const auto r = mmreg_test::runCli("-q -keep_doubtful " + chip + " " + kSen + " " + out + "/o.tif");
  EXPECT_EQ(r.output.find("room for 1 of the verdict's independent windows"), std::string::npos) << r.output;
}

// The same for a sensed chip, under each start: it ended in "too few tie points ... raise
// -max_tiles or -margin".
TEST_F(CliErrors, SensedTooSmallToVerifyIsRefusedBeforeMatching) {
  const std::string chip = dir + "/chip.tif";
  ASSERT_TRUE(mmreg_test::cropRaster(kSen, chip, 140, 140, 60, 60));
  expectFailure("-coarse never " + kRef + " " + chip + " " + out + "/o.tif", 1,
                "covers, with its valid data, only 70 x 70 reference pixels: room for 1 of the verdict's independent windows");
  const auto r = mmreg_test::runCli("-q -coarse never -keep_doubtful " + kRef + " " + chip + " " + out + "/o.tif");
  EXPECT_EQ(r.output.find("room for 1 of the verdict's independent windows"), std::string::npos) << r.output;
}

TEST_F(CliErrors, CrsOnOneImageOnly) {
  const auto nocrs = variant("nocrs", [](GDALDataset& d) { d.SetSpatialRef(nullptr); });
  expectFailure(kRef + " " + nocrs + " " + out + "/o.tif", 1, "-s_srs");
}

TEST_F(CliErrors, ConstantImageIsNamedAsSuch) {
  const auto flat = variant("flat", [](GDALDataset& d) {
    std::vector<GByte> v(static_cast<size_t>(d.GetRasterXSize()) * d.GetRasterYSize(), 77);
    ASSERT_EQ(CE_None, d.GetRasterBand(1)->RasterIO(GF_Write, 0, 0, d.GetRasterXSize(), d.GetRasterYSize(), v.data(), d.GetRasterXSize(),
                                 d.GetRasterYSize(), GDT_Byte, 0, 0));
  });
  expectFailure("-coarse never " + kRef + " " + flat + " " + out + "/o.tif", 1, "(band 1) is constant (every valid pixel is 77");
  expectFailure(kRef + " " + flat + " " + out + "/o.tif", 1, "there is no structure to match");
}

TEST_F(CliErrors, AllNodataImage) {
  const auto empty = variant("empty", [](GDALDataset& d) {
    d.GetRasterBand(1)->SetNoDataValue(0);
    std::vector<GByte> v(static_cast<size_t>(d.GetRasterXSize()) * d.GetRasterYSize(), 0);
    ASSERT_EQ(CE_None, d.GetRasterBand(1)->RasterIO(GF_Write, 0, 0, d.GetRasterXSize(), d.GetRasterYSize(), v.data(), d.GetRasterXSize(),
                                 d.GetRasterYSize(), GDT_Byte, 0, 0));
  });
  expectFailure("-coarse never " + kRef + " " + empty + " " + out + "/o.tif", 1, "(band 1) has no valid pixels");
  expectFailure(kRef + " " + empty + " " + out + "/o.tif", 1, "has no valid pixels: every pixel is no-data");
  // (-georef_only: the sample's sensed grid is rotated, which a warped output would refuse first.)
  expectFailure("-georef_only " + empty + " " + kSen + " " + out + "/o.tif", 1, "the reference raster");
}

TEST_F(CliErrors, ExistingOutputNeedsOverwriteAndInputsAreNeverOutputs) {
  std::ofstream(out + "/taken.tif") << "keep me";
  const auto r = mmreg_test::runCli("-q " + kRef + " " + kSen + " " + out + "/taken.tif");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("already exists; add -overwrite"), std::string::npos) << r.output;
  std::ifstream in(out + "/taken.tif");
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "keep me");
  std::remove((out + "/taken.tif").c_str());
  expectFailure("-overwrite " + kRef + " " + kSen + " " + kSen, 1, "is the same file as the input");
  expectFailure(kRef + " " + kSen + " " + out + "/o.tif -report " + out + "/o.tif", 1, "is also given for another output");
}

TEST_F(CliErrors, OutputFolderMustExistAndExtensionsMustFit) {
  expectFailure(kRef + " " + kSen + " " + out + "/no/such/dir/o.tif", 1, "does not exist; create it first");
  expectFailure(kRef + " " + kSen + " " + out + "/o.tif -tiepoints " + out + "/t.tif", 1, "no GDAL vector driver writes");
  expectFailure("-of NOPE " + kRef + " " + kSen + " " + out + "/o.tif", 1, "is not a GDAL raster driver");
  expectFailure("-b 9 " + kRef + " " + kSen + " " + out + "/o.tif", 1, "has 1 band(s)");
  // GDAL would clamp these to 0 and round to 2 with a warning, marking real pixels as nodata.
  expectFailure("-dstnodata -1 " + kRef + " " + kSen + " " + out + "/o.tif", 1, "-dstnodata -1 cannot occur in the output, whose pixels are Byte");
  expectFailure("-dstnodata 1.5 " + kRef + " " + kSen + " " + out + "/o.tif", 1, "-dstnodata 1.5 cannot occur in the output");
  expectFailure(kRef + " " + kSen + " /vsizip/" + out + "/o.zip/o.tif", 1, "is in a GDAL virtual file system; mmreg writes its outputs to local files");
  expectFailure(kRef + " " + kSen + " - -report /vsigzip/" + out + "/r.json.gz", 1, "the report '/vsigzip/");
  expectFailure("-s_srs EPSG:99999 " + kRef + " " + kSen + " " + out + "/o.tif", 1,
                "-s_srs 'EPSG:99999' is not a CRS that GDAL and PROJ know (PROJ: proj_create_from_database: crs not found)");
  // A typo in a file that this run would not even use is still a typo.
  expectFailure("-dem " + out + "/nope.tif " + kRef + " " + kSen + " " + out + "/o.tif", 2,
                "the file given to -dem, '" + out + "/nope.tif', does not exist; check the path");
  expectFailure("-feature_weights nope.pt " + kRef + " " + kSen + " " + out + "/o.tif", 2, "the file given to -feature_weights");
  for (const char* shaping : {"-georef_only", "-target own", "-r cubic", "-co TILED=YES", "-wm 64", "-of COG"})
    expectFailure(std::string(shaping) + " " + kRef + " " + kSen + " -", 1,
                  std::string(shaping).substr(0, std::string(shaping).find(' ')) + " shapes the output raster, but the output is '-'");
  expectFailure("-of MEM " + kRef + " " + kSen + " " + out + "/o.mem", 1, "'MEM' keeps the raster in memory and writes no file");
  // Zarr writes a folder and cannot hold GCPs: the error names it, and the folder goes too.
  expectFailure("-georef_only -model poly2 -of Zarr " + kRef + " " + kSen + " " + out + "/o.zarr", 1,
                "the Zarr format did not keep the GCPs of the fitted model in '" + out + "/o.zarr'");
}

// What the output format cannot hold is refused before the matching, not after it (or never:
// PNG and JPEG turn Float32 into Byte with a mere warning, and dB values all become 0): a pixel
// type the driver does not write, creation options it refuses for these pixels. The driver's
// reason is given without the name of the small raster it was found on.
TEST_F(CliErrors, OutputsTheFormatCannotHoldAreRefusedBeforeTheRun) {
  const std::string floats = dir + "/float.tif";
  ASSERT_TRUE(mmreg_test::translateRaster(kSen, floats, {"-ot", "Float32"}));
  for (const char* georefOnly : {"", "-georef_only "}) {
    const std::string g = georefOnly;
    expectFailure(g + kRef + " " + floats + " " + out + "/o.png", 1,
                  "the output format PNG cannot hold the output's Float32 pixels (it writes Byte UInt16); choose GTiff or COG");
    expectFailure(g + "-of JPEG " + kRef + " " + floats + " " + out + "/o.jpg", 1, "the output format JPEG cannot hold");
    expectFailure(g + "-co COMPRESS=JPEG " + kRef + " " + floats + " " + out + "/o.tif", 1,
                  "the creation options COMPRESS=JPEG do not suit the output (1 band of Float32 as GTiff): JPEGSetupEncode");
    expectFailure(g + "-co PREDICTOR=3 " + kRef + " " + kSen + " " + out + "/o.tif", 1,
                  "the creation options PREDICTOR=3 do not suit the output (1 band of Byte as GTiff): PREDICTOR=3 is only supported "
                  "with Float32 or Float64; change them or leave them out");
    expectFailure(g + "-of PNG -co ZLEVEL=99 " + kRef + " " + kSen + " " + out + "/o.png", 1, "Illegal ZLEVEL");
  }
  expectFailure("-dstalpha -of GPKG " + kRef + " " + floats + " " + out + "/o.gpkg", 1,
                "the output format GPKG cannot write the output's 2 bands of Float32");
  const auto r = mmreg_test::runCli("-q -co PREDICTOR=3 " + kRef + " " + kSen + " " + out + "/o.tif");
  EXPECT_EQ(r.output.find("/vsimem/"), std::string::npos) << r.output;
  // What they can hold is written.
  const std::pair<const char*, const char*> holding[] = {{"-co COMPRESS=DEFLATE -co PREDICTOR=3", "ok.tif"}, {"-of GPKG", "ok.gpkg"}};
  for (const auto& [options, name] : holding)
    EXPECT_EQ(mmreg_test::runCli(std::string("-q ") + options + " " + kRef + " " + floats + " " + out + "/" + name).exitCode, 0) << options;
}

TEST_F(CliErrors, UnknownOptionsAndBadValuesAreUsageErrors) {
  expectFailure("-frobnicate " + kRef + " " + kSen + " " + out + "/o.tif", 2, "unknown option");
  expectFailure("-margin x " + kRef + " " + kSen + " " + out + "/o.tif", 2, "expects a whole number");
  // Out-of-range values and unknown choices are usage errors too (exit 2), whatever the option.
  expectFailure("-margin 2 " + kRef + " " + kSen + " " + out + "/o.tif", 2, "-margin 2 is out of range; use 4 to 8192");
  expectFailure("-tile_size 0 " + kRef + " " + kSen + " " + out + "/o.tif", 2, "-tile_size 0 is out of range; use 64 to 8192");
  expectFailure("-r nonsense " + kRef + " " + kSen + " " + out + "/o.tif", 2, "-r expects near, bilinear, cubic");
  expectFailure("-model nonsense " + kRef + " " + kSen + " " + out + "/o.tif", 2, "-model expects auto, translation");
  // A margin beyond the tile size is a conflict between two valid values: found before any work.
  expectFailure("-margin 300 -tile_size 256 " + kRef + " " + kSen + " " + out + "/o.tif", 1, "larger than the tile size 256");
}

// -dem and -rpc_height place a sensed raster georeferenced by RPCs; on any other they change
// nothing, which the run says instead of passing over them in silence.
TEST_F(CliErrors, HeightsForARasterWithoutRpcsAreReportedUnused) {
  const std::string ref = mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif";
  const std::string sen = mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif";
  auto r = mmreg_test::runCli("-q -dem " + ref + " " + ref + " " + sen + " -");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("Warning 1: mmreg: -dem applies to a sensed raster georeferenced by RPCs; '" + sen +
                          "' has none, so it was not used"),
            std::string::npos)
      << r.output;
  r = mmreg_test::runCli("-q -rpc_height 120 " + ref + " " + sen + " -");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("-rpc_height applies to a sensed raster georeferenced by RPCs"), std::string::npos) << r.output;
}

TEST_F(CliErrors, DetectorChoicesAreChecked) {
  expectFailure("-detector bogus " + kRef + " " + kSen + " " + out + "/o.tif", 2,
                "-detector expects corner, sift, orb, akaze, peakiness, peakiness-learned or peakiness-trained, got 'bogus'");
  expectFailure("-detector orb -matcher akaze " + kRef + " " + kSen + " " + out + "/o.tif", 1,
                "the akaze matcher finds its own keypoints; only area, sift, orb and learned take a detector");
  // Weights that are not a model: the loader says so (a missing file is a usage error, above).
  const std::string notWeights = mmreg_test::sampleData() + "/README.md";
  expectFailure("-detector peakiness-learned -feature_weights " + notWeights + " " + kRef + " " + kSen + " " + out + "/o.tif", 1,
#ifdef MMREG_HAVE_TORCH
                "cannot load feature backbone weights from '" + notWeights + "'"
#else
                "rebuild with LibTorch"
#endif
  );
  expectFailure("-matcher learned -matcher_weights " + notWeights + " " + kRef + " " + kSen + " " + out + "/o.tif", 1,
#ifdef MMREG_HAVE_TORCH
                "cannot load cross-fusion head weights from '" + notWeights + "'"
#else
                "rebuild with LibTorch (cmake -DMMREG_WITH_TORCH=ON, Debian package libtorch-dev), or use -matcher area"
#endif
  );
}

TEST_F(CliErrors, HelpAndVersion) {
  auto r = mmreg_test::runCli("--help");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.output.find("Usage: mmreg"), std::string::npos);
  r = mmreg_test::runCli("--version");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.output.find("mmreg 0."), std::string::npos);
}

namespace {

// A matcher whose every tile throws what OpenCV or LibTorch would.
class ThrowingMatcher : public mmreg::TileMatcher {
 public:
  std::string name() const override { return "throwing"; }
  std::vector<mmreg::TileMatch> match(const mmreg::Image&, const mmreg::Image&, int) const override {
    throw std::runtime_error("OpenCV(4.6.0) error: (-215:Assertion failed) in function 'simulated'");
  }
};

}  // namespace

// An exception inside a tile worker thread becomes the library's error on the calling thread
// (it used to reach std::terminate, taking QGIS down with it), and nothing is written but the
// report, which records the error.
TEST_F(CliErrors, ExceptionInATileWorkerIsAnErrorNotACrash) {
  // Registered under a name the options accept; this test process never loads the real one.
  mmreg::registerTileMatcher("learned", [](const mmreg::LearnedModelOptions&, std::shared_ptr<const mmreg::Detector>) { return std::make_unique<ThrowingMatcher>(); });
  mmreg::CoregisterOptions o;
  o.reference = kRef;
  o.sensed = kSen;
  o.match.matcher = "learned";
  o.match.threads = 2;
  o.out.output = out + "/o.tif";
  o.out.reportPath = out + "/r.json";
  try {
    mmreg::coregister(o, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const mmreg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("the throwing matcher failed on tile"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Assertion failed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(mmreg_test::countEntries(out), 1);
  EXPECT_TRUE(mmreg_test::fileExists(out + "/r.json"));
}

// A run that fails before any model can be judged (here: no tie points, the images do not
// overlap) still writes the JSON report asked for, with a failed verdict and the reason, so that
// a batch of runs leaves a record of each; the outputs are not written.
TEST_F(CliErrors, FailedRunStillWritesItsReport) {
  const auto r = mmreg_test::runCli("-q -coarse never -report " + out + "/r.json -tiepoints " + out + "/t.gpkg " + kRef + " " +
                                    mmreg_test::sampleData() + "/s1s2_075_sensed.tif " + out + "/o.tif");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_EQ(mmreg_test::countEntries(out), 1);
  CPLJSONDocument doc;
  ASSERT_TRUE(doc.Load(out + "/r.json"));
  EXPECT_EQ(doc.GetRoot().GetString("verdict/level"), "failed");
  const std::string reason = doc.GetRoot().GetArray("verdict/reasons")[0].ToString();
  EXPECT_NE(reason.find("do not overlap"), std::string::npos) << reason;
  EXPECT_NE(r.output.find(reason), std::string::npos) << "the report's reason is the error the user saw: " << r.output;
  EXPECT_EQ(doc.GetRoot().GetString("sensed"), mmreg_test::sampleData() + "/s1s2_075_sensed.tif");
}

// Learned weights are loaded once per run (validation used to load them a second time): the
// factory registered under "learned" counts how often it is asked.
TEST_F(CliErrors, MatchersAreBuiltOncePerRun) {
  static int built = 0;
  mmreg::registerTileMatcher("learned", [](const mmreg::LearnedModelOptions&, std::shared_ptr<const mmreg::Detector>) {
    ++built;
    return mmreg::makeTileMatcher("sift");
  });
  mmreg::CoregisterOptions o;
  o.reference = kRef;
  o.sensed = kSen;
  o.match.matcher = "learned";
  o.out.reportPath = out + "/r.json";
  mmreg::coregister(o, nullptr);
  EXPECT_EQ(built, 1);
}

TEST_F(CliErrors, CancelLeavesNoOutput) {
  for (double stopAt : {0.1, 0.8, 0.97}) {
    mmreg::CoregisterOptions o;
    o.reference = kRef;
    o.sensed = kSen;
    o.out.output = out + "/o.tif";
    o.out.reportPath = out + "/r.json";
    o.out.tiePointsPath = out + "/t.gpkg";
    bool asked = false;
    EXPECT_THROW(mmreg::coregister(o, [&](double f, const char*) { return !(asked = asked || f >= stopAt); }),
                 mmreg::Cancelled);
    EXPECT_TRUE(asked);
    EXPECT_EQ(mmreg_test::countEntries(out), 0) << "after cancel at " << stopAt;
  }
}

TEST_F(CliErrors, SignalsLeaveNoPartialOutput) {
  // The SAR sample takes about 2 s; interrupt it at several moments with Ctrl-C, a hang-up
  // (closed terminal), a kill and a quit. A run the signal reaches must stop with "cancelled"
  // and leave nothing; one that finished first is complete.
  const std::string ref = mmreg_test::sampleData() + "/s1s2_075_ref.tif";
  const std::string sen = mmreg_test::sampleData() + "/s1s2_075_sensed.tif";
  for (int sig : {SIGINT, SIGHUP, SIGTERM, SIGQUIT}) {
    int interruptedRuns = 0;
    for (double delay : {0.0, 0.5, 1.0}) {
      const auto r = mmreg_test::runAndSignal(MMREG_CLI, {"-report", out + "/r.json", ref, sen, out + "/o.tif"}, sig, "", delay);
      if (r.exitCode == 0) {
        EXPECT_TRUE(mmreg_test::fileExists(out + "/o.tif") && mmreg_test::fileExists(out + "/r.json"));
        EXPECT_EQ(mmreg_test::countEntries(out), 2) << r.output;
      } else {
        ++interruptedRuns;
        EXPECT_EQ(r.exitCode, 1) << "signal " << sig << " killed mmreg instead of cancelling it: " << r.output;
        EXPECT_NE(r.output.find("cancelled"), std::string::npos) << "signal " << sig << ": " << r.output;
        EXPECT_EQ(mmreg_test::countEntries(out), 0) << "after signal " << sig << " at " << delay << " s: " << r.output;
      }
      mmreg_test::removeTree(out);
      VSIMkdir(out.c_str(), 0755);
    }
    EXPECT_GE(interruptedRuns, 1) << "signal " << sig;  // right after the first progress output is inside the run
  }
}

// -overwrite replaces files, never a device or a pipe (renaming over one would destroy it).
TEST_F(CliErrors, OverwriteNeverReplacesADeviceOrPipe) {
  const std::string fifo = out + "/pipe.tif";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto r = mmreg_test::runCli("-q -overwrite " + kRef + " " + kSen + " " + fifo);
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("is not a regular file"), std::string::npos) << r.output;
  struct stat st {};
  ASSERT_EQ(stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(mmreg_test::countEntries(out), 1);
}

// An old world file beside the output told GDAL and QGIS where a new GCP-georeferenced output
// lies (they read it when the raster has no geotransform of its own), and an old .qix indexed
// other tie points: without -overwrite they stop the run before the matching, with it they go.
TEST_F(CliErrors, StaleWorldFilesAndIndexesNeverDescribeANewOutput) {
  const std::string raster = out + "/g.tif", world = out + "/g.tfw", points = out + "/t.shp", index = out + "/t.qix";
  std::ofstream(world) << "10\n0\n0\n-10\n500000\n4000000\n";
  std::ofstream(index) << "old";
  const std::string run = "-georef_only -model poly2 -tiepoints " + points + " " + kRef + " " + kSen + " " + raster;
  auto r = mmreg_test::runCli("-q " + run);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("'" + world + "' would be read as part of the output '" + raster + "' (its georeferencing)"), std::string::npos)
      << r.output;
  EXPECT_EQ(mmreg_test::countEntries(out), 2);
  std::remove(world.c_str());
  r = mmreg_test::runCli("-q " + run);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("'" + index + "' would be read as part of the tie-point file '" + points + "' (its spatial index)"),
            std::string::npos)
      << r.output;
  std::ofstream(world) << "10\n0\n0\n-10\n500000\n4000000\n";
  r = mmreg_test::runCli("-q -overwrite " + run);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_FALSE(mmreg_test::fileExists(world));
  EXPECT_FALSE(mmreg_test::fileExists(index));
  GDALDatasetUniquePtr ds(GDALDataset::Open(raster.c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  double gt[6];
  EXPECT_NE(ds->GetGeoTransform(gt), CE_None) << "the GCPs' raster has a geotransform from somewhere";
  EXPECT_GT(ds->GetGCPCount(), 0);
}

// A folder given as an output is named as such, with or without -overwrite (which used to be
// suggested, and then refused), and kept with what it holds.
TEST_F(CliErrors, AFolderIsNeverAnOutput) {
  const std::string folder = out + "/scenes.gpkg";  // a name each output would take
  VSIMkdir(folder.c_str(), 0755);
  std::ofstream(folder + "/keep.txt") << "kept";
  for (const char* overwrite : {"", "-overwrite "})
    for (const std::string& outputs : {" " + folder, " - -report " + folder, " - -tiepoints " + folder}) {
      const auto r = mmreg_test::runCli(std::string("-q ") + overwrite + kRef + " " + kSen + outputs);
      EXPECT_EQ(r.exitCode, 1) << r.output;
      EXPECT_NE(r.output.find("'" + folder + "' is a folder; give a file name (in that folder, to write it there)"), std::string::npos)
          << outputs << ": " << r.output;
      EXPECT_EQ(r.output.find("-overwrite"), std::string::npos) << r.output;
    }
  EXPECT_EQ(mmreg_test::countEntries(folder), 1);
  EXPECT_EQ(mmreg_test::countEntries(out), 1);
}

// A folder where no file can be created (here /proc, which even root cannot write) is found
// before any work, not when the outputs are committed.
TEST_F(CliErrors, UnwritableOutputFolderFailsBeforeTheRun) {
  const auto r = mmreg_test::runCli("-q " + kRef + " " + kSen + " /proc/o.tif");
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("cannot create files in the folder of the output '/proc/o.tif'"), std::string::npos) << r.output;
  const auto report = mmreg_test::runCli("-q -report /proc/r.json " + kRef + " " + kSen + " " + out + "/o.tif");
  EXPECT_NE(report.output.find("cannot create files in the folder of the report"), std::string::npos) << report.output;
  EXPECT_EQ(mmreg_test::countEntries(out), 0);
}

// A 239-character output name is legal (NAME_MAX is 255); its temporary name must be too.
TEST_F(CliErrors, LongLegalOutputNamesAreWritten) {
  const std::string name = out + "/" + std::string(235, 'x') + ".tif";
  const auto r = mmreg_test::runCli("-q -georef_only " + kRef + " " + kSen + " " + name);
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(mmreg_test::fileExists(name));
  EXPECT_EQ(mmreg_test::countEntries(out), 1);
}
