// The real qgis_process (Debian's qgis_process.bin), loading the provider through the Python
// bridge from the build tree: `list` shows the algorithms and `run` writes a raster GDAL opens
// with the right georeferencing.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "test_support.h"

namespace {

const char* kQgisProcess = "/usr/bin/qgis_process.bin";

// Arguments for /usr/bin/env: a private profile (HOME) and the build tree's plugin folder.
std::string qgisEnv(const std::string& home) {
  return "QT_QPA_PLATFORM=offscreen HOME='" + home + "' QGIS_PLUGINPATH='" + MMREG_QGIS_PYTHON_DIR + "' " + kQgisProcess + " ";
}

}  // namespace

class QgisProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!mmreg_test::fileExists(kQgisProcess)) GTEST_SKIP() << "qgis_process.bin is not installed";
    GDALAllRegister();
    dir = mmreg_test::freshDir("qgis_process");
    home = dir + "/home";
    VSIMkdir(home.c_str(), 0755);
    const auto r = qgis("plugins enable mmreg_processing");
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }
  void TearDown() override { mmreg_test::removeTree(dir); }
  mmreg_test::CliResult qgis(const std::string& args) {
    return mmreg_test::runProgram("/usr/bin/env", qgisEnv(home) + args);
  }
  std::string dir, home;
};

TEST_F(QgisProcess, ListShowsTheMmregAlgorithms) {
  const auto r = qgis("list");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  for (const char* id : {"mmreg:coregister", "mmreg:extracttiepoints", "mmreg:applytiepoints"})
    EXPECT_NE(r.output.find(id), std::string::npos) << id << " missing in: " << r.output;
}

TEST_F(QgisProcess, RunCoregisterProducesAGeoreferencedRaster) {
  const std::string ref = mmreg_test::sampleData() + "/s1s2_075_ref.tif";
  const std::string sen = mmreg_test::sampleData() + "/s1s2_075_sensed.tif";
  const std::string out = dir + "/sar_on_optical.tif";
  const auto r = qgis("run mmreg:coregister -- REFERENCE='" + ref + "' SENSED='" + sen + "' GEOREF_ONLY=true OUTPUT='" + out + "'");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  GDALDatasetUniquePtr o(GDALDataset::Open(out.c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(o) << "GDAL cannot open " << out;
  // The sample's truth: sensed pixel (c, r) lies at reference pixel (c, r); the s1s2 alignment
  // itself carries a ~2-3 px offset (sample_data/README.md), the misregistration was ~30 px.
  const double worst = mmreg_test::worstMappingError(out, ref, [](mmreg::Point2 p) { return p; }, 100, 900, 4);
  EXPECT_LT(worst, 4.5);
  EXPECT_NE(r.output.find("RMSE_CHECK_PX"), std::string::npos) << r.output;
}

// QGIS desktop itself, under Xvfb, with the C++ plugin enabled in a fresh profile: the plugin
// registers the provider when QGIS starts.
TEST(QgisDesktop, CppPluginRegistersTheProviderAtStart) {
  if (!mmreg_test::fileExists("/usr/bin/qgis") || !mmreg_test::fileExists("/usr/bin/xvfb-run"))
    GTEST_SKIP() << "qgis desktop or xvfb-run is not installed";
  const std::string dir = mmreg_test::freshDir("qgis_desktop");
  const auto profile = mmreg_test::runProgram(MMREG_SOURCE_DIR "/scripts/qgis_desktop_profile.sh",
                                              "'" + dir + "' '" + MMREG_QGIS_PLUGIN_DIR + "'");
  ASSERT_EQ(profile.exitCode, 0) << profile.output;
  const std::string out = dir + "/algorithms.txt";
  // The environment QGIS desktop needs is set here, whatever the caller's: a headless test
  // environment's QT_QPA_PLATFORM=offscreen makes QGIS desktop die in QgsClipboard. Set it
  // here too, so that the test proves it does not leak through.
  setenv("QT_QPA_PLATFORM", "offscreen", 1);
  const auto r = mmreg_test::runProgram(
      "/usr/bin/env", "-u QT_QPA_PLATFORM -u WAYLAND_DISPLAY HOME='" + dir + "' MMREG_CHECK_OUT='" + out +
                          "' xvfb-run -a -s '-screen 0 1280x800x24' env QT_QPA_PLATFORM=xcb timeout 120 " +
                          "qgis --nologo --noversioncheck --code '" + MMREG_SOURCE_DIR + "/tests/qgis_desktop_check.py'");
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "mmreg:applytiepoints mmreg:coregister mmreg:extracttiepoints") << r.output;
  mmreg_test::removeTree(dir);
}
