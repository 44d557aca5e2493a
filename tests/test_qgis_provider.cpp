// The provider inside a real, headless QgsApplication: each algorithm runs on sample_data, the
// outputs are checked against the known misregistration, and a cancel leaves nothing behind.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <qgsapplication.h>
#include <qgsprocessingalgorithm.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingregistry.h>
#include <qgsvectorlayer.h>

#include <cmath>

#include "mmreg/raster.h"
#include "mmreg_provider.h"
#include "test_support.h"

namespace {

const QString kRef = QString::fromStdString(mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif");
const QString kSen = QString::fromStdString(mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif");

// Worst error of `raster`'s georeferencing against the sample's truth: sensed pixel (c, r)
// lies at reference pixel (c, r).
double worstError(const std::string& raster) {
  return mmreg_test::worstMappingError(raster, kRef.toStdString(), [](mmreg::Point2 p) { return p; }, 30, 330, 5);
}

class CancelAt : public QgsProcessingFeedback {
 public:
  explicit CancelAt(double percent) : percent_(percent) {
    QObject::connect(this, &QgsFeedback::progressChanged, [this](double p) {
      if (p >= percent_) cancel();
    });
  }

 private:
  double percent_;
};

}  // namespace

class QgisProvider : public ::testing::Test {
 protected:
  void SetUp() override { dir = mmreg_test::freshDir("qgis_provider"); }
  void TearDown() override { mmreg_test::removeTree(dir); }
  QVariantMap run(const QString& id, const QVariantMap& params, QgsProcessingFeedback* feedback, bool* ok) {
    std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(id));
    EXPECT_TRUE(alg) << id.toStdString();
    QgsProcessingContext context;
    QgsProcessingFeedback quiet;
    return alg->run(params, context, feedback ? feedback : &quiet, ok);
  }
  QString path(const char* name) const { return QString::fromStdString(dir + "/" + name); }
  std::string dir;
};

TEST_F(QgisProvider, ListsTheThreeAlgorithms) {
  auto* p = QgsApplication::processingRegistry()->providerById(QStringLiteral("mmreg"));
  ASSERT_TRUE(p);
  QStringList ids;
  for (auto* a : p->algorithms()) ids << a->id();
  ids.sort();
  EXPECT_EQ(ids, (QStringList{"mmreg:applytiepoints", "mmreg:coregister", "mmreg:extracttiepoints"}));
  for (auto* a : p->algorithms()) EXPECT_FALSE(a->shortHelpString().isEmpty());
}

TEST_F(QgisProvider, CoregisterWritesRasterTiePointsAndReport) {
  bool ok = false;
  const auto out = run(QStringLiteral("mmreg:coregister"),
                       {{"REFERENCE", kRef}, {"SENSED", kSen}, {"GEOREF_ONLY", true}, {"OUTPUT", path("co.tif")},
                        {"TIE_POINTS", path("tp.gpkg")}, {"REPORT", path("r.json")}},
                       nullptr, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(out.value("VERDICT").toString(), QStringLiteral("verified"));
  EXPECT_LT(worstError(dir + "/co.tif"), 0.5);
  EXPECT_GT(worstError(kSen.toStdString()), 10);
  QgsVectorLayer tp(out.value("TIE_POINTS").toString(), "tp", "ogr");
  ASSERT_TRUE(tp.isValid());
  EXPECT_GE(tp.featureCount(), 20);
  for (const char* f : {"ref_x", "ref_y", "sensed_col", "sensed_row", "inlier", "check", "residual_px", "residual_m"})
    EXPECT_GE(tp.fields().lookupField(f), 0) << f;
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/r.json"));
}

TEST_F(QgisProvider, WarpedOutputIsOnTheReferenceGrid) {
  bool ok = false;
  run(QStringLiteral("mmreg:coregister"), {{"REFERENCE", kRef}, {"SENSED", kSen}, {"OUTPUT", path("warped.tif")}}, nullptr, &ok);
  ASSERT_TRUE(ok);
  const auto w = mmreg::GeoRaster::open(dir + "/warped.tif"), r = mmreg::GeoRaster::open(kRef.toStdString());
  EXPECT_EQ(w.width(), r.width());
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(w.geoTransform()[i], r.geoTransform()[i], 1e-6);
}

TEST_F(QgisProvider, ExtractThenApplyEditedTiePoints) {
  bool ok = false;
  const auto ex = run(QStringLiteral("mmreg:extracttiepoints"),
                      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS", path("ex.gpkg")}, {"POINTS_FILE", path("ex.points")}},
                      nullptr, &ok);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/ex.points"));
  // Edit by hand: drop half of the points (inlier = 0), then apply what is left.
  {
    QgsVectorLayer layer(ex.value("TIE_POINTS").toString(), "ex", "ogr");
    ASSERT_TRUE(layer.isValid());
    const int n = static_cast<int>(layer.featureCount());
    ASSERT_GE(n, 20);
    layer.startEditing();
    const int field = layer.fields().lookupField("inlier");
    QgsFeature f;
    auto it = layer.getFeatures();
    int k = 0;
    while (it.nextFeature(f))
      if (k++ % 2) layer.changeAttributeValue(f.id(), field, 0);
    ASSERT_TRUE(layer.commitChanges());
  }
  QgsProcessingFeedback log;
  const auto ap = run(QStringLiteral("mmreg:applytiepoints"),
                      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("ex.gpkg")}, {"MODEL", 3 /* affine */},
                       {"GEOREF_ONLY", true}, {"OUTPUT", path("ap.tif")}, {"TIE_POINTS", path("ap.gpkg")}},
                      &log, &ok);
  ASSERT_TRUE(ok);
  EXPECT_LT(worstError(dir + "/ap.tif"), 0.5);
  QgsVectorLayer applied(ap.value("TIE_POINTS").toString(), "ap", "ogr");
  QgsVectorLayer extracted(path("ex.gpkg"), "ex", "ogr");
  EXPECT_LT(applied.featureCount(), extracted.featureCount());  // the disabled half was left out
}

// Keeps the errors an algorithm reports (QgsProcessingAlgorithm::run turns a
// QgsProcessingException into reportError).
class ErrorLog : public QgsProcessingFeedback {
 public:
  void reportError(const QString& error, bool fatal) override {
    errors += error;
    QgsProcessingFeedback::reportError(error, fatal);
  }
  QString errors;
};

TEST_F(QgisProvider, FailureIsAProcessingExceptionAndLeavesNoOutput) {
  bool ok = true;
  ErrorLog log;
  run(QStringLiteral("mmreg:coregister"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"MODEL", 7 /* tps */}, {"MARGIN", 4}, {"MAX_TILES", 1}, {"TILE_SIZE", 64},
       {"COARSE", 2 /* never */}, {"OUTPUT", path("fail.tif")}},
      &log, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(log.errors.contains("too few tie points")) << log.errors.toStdString();
  EXPECT_EQ(mmreg_test::countEntries(dir), 0);
}

// Tie points moved 25 px, all in agreement: the model they give is refused by the verdict, as
// a QgsProcessingException that says why, and nothing is written.
TEST_F(QgisProvider, TiePointsAgreeingOnAWrongModelAreRefused) {
  bool ok = false;
  run(QStringLiteral("mmreg:extracttiepoints"), {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS", path("ex.gpkg")}}, nullptr, &ok);
  ASSERT_TRUE(ok);
  {
    QgsVectorLayer layer(path("ex.gpkg"), "ex", "ogr");
    ASSERT_TRUE(layer.isValid());
    layer.startEditing();
    const int col = layer.fields().lookupField("sensed_col");
    QgsFeature f;
    auto it = layer.getFeatures();
    while (it.nextFeature(f)) layer.changeAttributeValue(f.id(), col, f.attribute(col).toDouble() + 25);
    ASSERT_TRUE(layer.commitChanges());
  }
  ErrorLog log;
  ok = true;
  run(QStringLiteral("mmreg:applytiepoints"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("ex.gpkg")}, {"OUTPUT", path("wrong.tif")}}, &log, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(log.errors.contains("not verified")) << log.errors.toStdString();
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/wrong.tif"));
}

TEST_F(QgisProvider, CancelLeavesNoOutput) {
  for (double at : {10.0, 75.0, 95.0}) {
    CancelAt feedback(at);
    bool ok = true;
    run(QStringLiteral("mmreg:coregister"),
        {{"REFERENCE", kRef}, {"SENSED", kSen}, {"OUTPUT", path("c.tif")}, {"REPORT", path("c.json")}}, &feedback, &ok);
    EXPECT_FALSE(ok) << "cancel at " << at;
    EXPECT_EQ(mmreg_test::countEntries(dir), 0) << "cancel at " << at;
  }
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  qputenv("QT_QPA_PLATFORM", "offscreen");
  QgsApplication app(argc, argv, false);
  QgsApplication::initQgis();
  GDALAllRegister();
  if (!mmreg_register_provider(QgsApplication::processingRegistry())) return 1;
  const int rc = RUN_ALL_TESTS();
  QgsApplication::exitQgis();
  return rc;
}
