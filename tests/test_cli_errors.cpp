// Bad input through the real mmreg binary: a clear message, the right exit code, and nothing
// partial left behind. Plus cancel through the library's progress callback.
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include <sys/stat.h>

#include <fstream>

#include "mmreg/coregister.h"
#include "mmreg/error.h"
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

TEST_F(CliErrors, CrsOnOneImageOnly) {
  const auto nocrs = variant("nocrs", [](GDALDataset& d) { d.SetSpatialRef(nullptr); });
  expectFailure(kRef + " " + nocrs + " " + out + "/o.tif", 1, "-s_srs");
}

TEST_F(CliErrors, ConstantImageHasTooFewTiePoints) {
  const auto flat = variant("flat", [](GDALDataset& d) {
    std::vector<GByte> v(static_cast<size_t>(d.GetRasterXSize()) * d.GetRasterYSize(), 77);
    ASSERT_EQ(CE_None, d.GetRasterBand(1)->RasterIO(GF_Write, 0, 0, d.GetRasterXSize(), d.GetRasterYSize(), v.data(), d.GetRasterXSize(),
                                 d.GetRasterYSize(), GDT_Byte, 0, 0));
  });
  expectFailure("-coarse never " + kRef + " " + flat + " " + out + "/o.tif", 1, "too few tie points");
}

TEST_F(CliErrors, AllNodataImage) {
  const auto empty = variant("empty", [](GDALDataset& d) {
    d.GetRasterBand(1)->SetNoDataValue(0);
    std::vector<GByte> v(static_cast<size_t>(d.GetRasterXSize()) * d.GetRasterYSize(), 0);
    ASSERT_EQ(CE_None, d.GetRasterBand(1)->RasterIO(GF_Write, 0, 0, d.GetRasterXSize(), d.GetRasterYSize(), v.data(), d.GetRasterXSize(),
                                 d.GetRasterYSize(), GDT_Byte, 0, 0));
  });
  expectFailure("-coarse never " + kRef + " " + empty + " " + out + "/o.tif", 1, "too few tie points");
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
  expectFailure(kRef + " " + kSen + " " + out + "/o.tif -tiepoints " + out + "/t.shp", 1, "must end in .gpkg");
  expectFailure("-of NOPE " + kRef + " " + kSen + " " + out + "/o.tif", 1, "is not a GDAL raster driver");
  expectFailure("-b 9 " + kRef + " " + kSen + " " + out + "/o.tif", 1, "has 1 band(s)");
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

TEST_F(CliErrors, DetectorChoicesAreChecked) {
  expectFailure("-detector bogus " + kRef + " " + kSen + " " + out + "/o.tif", 2,
                "-detector expects corner, learned, sift, orb or akaze, got 'bogus'");
  expectFailure("-detector orb -matcher akaze " + kRef + " " + kSen + " " + out + "/o.tif", 1,
                "the akaze matcher finds its own keypoints; only area, sift and orb take a detector");
  expectFailure("-detector learned -weights " + dir + "/none.pt " + kRef + " " + kSen + " " + out + "/o.tif", 1,
#ifdef MMREG_HAVE_TORCH
                "not found; pass the .pt file (-weights FILE)"
#else
                "rebuild with LibTorch"
#endif
  );
  expectFailure("-matcher learned -matcher_weights " + dir + "/none.pt " + kRef + " " + kSen + " " + out + "/o.tif", 1,
#ifdef MMREG_HAVE_TORCH
                "not found; pass the .pt file (-matcher_weights FILE)"
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
  // The SAR sample takes about 2 s; interrupt it at several moments after start-up (~0.5 s of
  // library loading, before mmreg runs at all) with Ctrl-C, a hang-up (closed terminal) and a
  // kill. A run the signal reaches must stop with "cancelled" and leave nothing; one that
  // finished first is complete.
  const std::string ref = mmreg_test::sampleData() + "/s1s2_075_ref.tif";
  const std::string sen = mmreg_test::sampleData() + "/s1s2_075_sensed.tif";
  for (const char* signal : {"INT", "HUP", "TERM"}) {
    int interruptedRuns = 0;
    for (const char* delay : {"0.8", "1.3", "1.8"}) {
      const auto r = mmreg_test::runProgram("timeout", std::string("--preserve-status -s ") + signal + " " + delay + " '" + MMREG_CLI +
                                                           "' -q -report " + out + "/r.json " + ref + " " + sen + " " + out + "/o.tif");
      if (r.exitCode == 0) {
        EXPECT_TRUE(mmreg_test::fileExists(out + "/o.tif") && mmreg_test::fileExists(out + "/r.json"));
        EXPECT_EQ(mmreg_test::countEntries(out), 2) << r.output;
      } else {
        ++interruptedRuns;
        EXPECT_NE(r.output.find("cancelled"), std::string::npos) << signal << ": " << r.output;
        EXPECT_EQ(mmreg_test::countEntries(out), 0) << "after SIG" << signal << " at " << delay << " s: " << r.output;
      }
      mmreg_test::removeTree(out);
      VSIMkdir(out.c_str(), 0755);
    }
    EXPECT_GE(interruptedRuns, 1) << signal;  // 0.8 s is inside the run
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
