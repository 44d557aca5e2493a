// The provider inside a real, headless QgsApplication: each algorithm runs on sample_data, the
// outputs are checked against the known misregistration, and a cancel leaves nothing behind.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <qgsapplication.h>
#include <qgsfeature.h>
#include <qgsgeometry.h>
#include <qgsprocessingalgorithm.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingparameters.h>
#include <qgsprocessingregistry.h>
#include <qgsmaplayerstore.h>
#include <qgsrasterlayer.h>
#include <qgsvectorlayer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>

#include "mmreg/option_table.h"
#include "mmreg/rpc_case.h"
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

// The CLI's option declarations against the Processing parameters, both ways: every declared
// option is a parameter of each algorithm in its scope, with the same default and range (or
// choices), or says why it has none; every parameter is declared, apart from the layers each
// algorithm owns.
TEST_F(QgisProvider, ParametersMatchTheCliOptionDeclarations) {
  using mmreg::OptionKind;
  const std::map<QString, unsigned> scopes{
      {"mmreg:coregister",
       mmreg::kScopeMatching | mmreg::kScopeModel | mmreg::kScopeRaster | mmreg::kScopeReport | mmreg::kScopeRpcOutput},
      {"mmreg:extracttiepoints", mmreg::kScopeMatching | mmreg::kScopeModel | mmreg::kScopeReport | mmreg::kScopePointsFile},
      {"mmreg:applytiepoints", mmreg::kScopeModel | mmreg::kScopeRaster | mmreg::kScopeReport}};
  const QStringList owned{"REFERENCE", "SENSED", "OUTPUT", "TIE_POINTS_IN"};
  for (const auto& [id, scope] : scopes) {
    std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(id));
    ASSERT_TRUE(alg);
    QStringList declared;
    for (const auto& d : mmreg::optionTable()) {
      const std::string what = id.toStdString() + " " + d.cli;
      if (d.qgis.empty()) {
        EXPECT_FALSE(d.qgisWhy.empty()) << what << " has no QGIS parameter and no reason";
        continue;
      }
      if (!(d.scope & scope)) continue;
      const QString name = QString::fromStdString(d.qgis);
      declared << name;
      const QgsProcessingParameterDefinition* p = alg->parameterDefinition(name);
      ASSERT_TRUE(p) << what << " -> " << d.qgis << " is missing";
      if (d.kind != OptionKind::Sink) EXPECT_EQ(p->description().toStdString(), d.label) << what;  // sinks: the algorithm's words
      EXPECT_EQ(bool(p->flags() & QgsProcessingParameterDefinition::FlagAdvanced), d.advanced) << what;
      const std::string def = mmreg::defaultValue(d);
      switch (d.kind) {
        case OptionKind::Integer:
        case OptionKind::Number: {
          auto* n = dynamic_cast<const QgsProcessingParameterNumber*>(p);
          ASSERT_TRUE(n) << what;
          EXPECT_EQ(n->dataType() == QgsProcessingParameterNumber::Integer, d.kind == OptionKind::Integer) << what;
          if (def.empty()) EXPECT_TRUE(!n->defaultValue().isValid() && (n->flags() & QgsProcessingParameterDefinition::FlagOptional)) << what;
          else EXPECT_DOUBLE_EQ(n->defaultValue().toDouble(), std::stod(def)) << what;
          EXPECT_DOUBLE_EQ(n->minimum(), d.minValue) << what;
          EXPECT_DOUBLE_EQ(n->maximum(), d.maxValue) << what;
          break;
        }
        case OptionKind::Choice: {
          auto* e = dynamic_cast<const QgsProcessingParameterEnum*>(p);
          ASSERT_TRUE(e) << what;
          QStringList choices;
          for (const auto& c : d.choices) choices << QString::fromStdString(c);
          EXPECT_EQ(e->options(), choices) << what;
          EXPECT_EQ(e->options().value(e->defaultValue().toInt()).toStdString(), def) << what;
          break;
        }
        case OptionKind::Flag: {
          auto* b = dynamic_cast<const QgsProcessingParameterBoolean*>(p);
          ASSERT_TRUE(b) << what;
          EXPECT_EQ(b->defaultValue().toBool(), def == "true") << what;
          break;
        }
        case OptionKind::Bands:
          EXPECT_TRUE(dynamic_cast<const QgsProcessingParameterBand*>(p)) << what;
          break;
        case OptionKind::Crs:
          EXPECT_TRUE(dynamic_cast<const QgsProcessingParameterCrs*>(p)) << what;
          break;
        case OptionKind::File:
          EXPECT_TRUE(dynamic_cast<const QgsProcessingParameterFile*>(p)) << what;
          break;
        case OptionKind::Destination:
          EXPECT_TRUE(dynamic_cast<const QgsProcessingParameterFileDestination*>(p)) << what;
          break;
        case OptionKind::Sink:
          EXPECT_TRUE(dynamic_cast<const QgsProcessingParameterFeatureSink*>(p)) << what;
          break;
        case OptionKind::Text:
          EXPECT_TRUE(dynamic_cast<const QgsProcessingParameterString*>(p)) << what;
          break;
      }
    }
    for (const QgsProcessingParameterDefinition* p : alg->parameterDefinitions())
      EXPECT_TRUE(declared.contains(p->name()) || owned.contains(p->name()))
          << id.toStdString() << " parameter " << p->name().toStdString() << " is not declared in mmreg/option_table.h";
  }
}

// A value set in QGIS reaches the library: an out-of-range value the parameter lets through
// (QGIS checks numbers, not cross-parameter rules) is refused with the option's own message.
TEST_F(QgisProvider, DeclaredParametersReachTheLibrary) {
  bool ok = true;
  QgsProcessingFeedback feedback;
  run(QStringLiteral("mmreg:coregister"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TILE_SIZE", 128}, {"MARGIN", 200}, {"OUTPUT", path("o.tif")}}, &feedback, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(mmreg_test::countEntries(dir), 0);
  bool ok2 = false;
  const auto out = run(QStringLiteral("mmreg:extracttiepoints"),
                       {{"REFERENCE", kRef}, {"SENSED", kSen}, {"MODEL", 1 /* translation */}, {"MAX_TILES", 4},
                        {"TIE_POINTS", path("t.gpkg")}, {"REPORT", path("r.json")}},
                       nullptr, &ok2);
  ASSERT_TRUE(ok2);
  std::ifstream in(dir + "/r.json");
  const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("\"translation\""), std::string::npos);
  EXPECT_EQ(out.value("REPORT").toString(), path("r.json"));
}

// A library error while an algorithm reads a raster itself (here: the reference layer's file was
// removed after QGIS loaded it) is a QgsProcessingException, not an exception escaping QGIS.
TEST_F(QgisProvider, RasterErrorsInsideAlgorithmsAreProcessingExceptions) {
  bool ok = false;
  run(QStringLiteral("mmreg:extracttiepoints"), {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS", path("t.gpkg")}}, nullptr, &ok);
  ASSERT_TRUE(ok);
  const std::string gone = dir + "/gone.tif";
  GDALDatasetUniquePtr src(GDALDataset::Open(kRef.toUtf8().constData(), GDAL_OF_RASTER));
  GDALDatasetUniquePtr(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(gone.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
  auto* layer = new QgsRasterLayer(QString::fromStdString(gone), QStringLiteral("gone"), QStringLiteral("gdal"));
  ASSERT_TRUE(layer->isValid());
  std::remove(gone.c_str());
  std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(QStringLiteral("mmreg:applytiepoints")));
  QgsProcessingContext context;
  context.temporaryLayerStore()->addMapLayer(layer);
  QgsProcessingFeedback feedback;
  ok = true;
  EXPECT_NO_THROW(alg->run({{"REFERENCE", QVariant::fromValue(static_cast<QObject*>(layer))}, {"SENSED", kSen},
                            {"TIE_POINTS_IN", path("t.gpkg")}, {"OUTPUT", path("o.tif")}},
                           context, &feedback, &ok));
  EXPECT_FALSE(ok);
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/o.tif"));
}

// Co-register raster with RPC_REFINE and a DEM: the output is the sensed raster with refined
// RPCs (tested in depth through the CLI in test_rpc_refine).
TEST_F(QgisProvider, CoregisterRefinesRpcs) {
  if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "../shared/data missing";
  const auto c = mmreg::makeRpcCase(mmreg_test::sharedData() + "/landsat", dir);
  bool ok = false;
  const auto out = run(QStringLiteral("mmreg:coregister"),
                       {{"REFERENCE", QString::fromStdString(c.reference)}, {"SENSED", QString::fromStdString(c.sensed)},
                        {"RPC_REFINE", true}, {"DEM", QString::fromStdString(c.dem)}, {"OUTPUT", path("refined.tif")},
                        {"REPORT", path("r.json")}},
                       nullptr, &ok);
  ASSERT_TRUE(ok);
  GDALDatasetUniquePtr refined(GDALDataset::Open((dir + "/refined.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(refined && refined->GetMetadata("RPC"));
  EXPECT_EQ(refined->GetGeoTransform(std::array<double, 6>().data()), CE_Failure) << "the pixels stay in the camera's geometry";
  std::ifstream in(dir + "/r.json");
  const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("\"rpc_refinement\""), std::string::npos);
}

TEST_F(QgisProvider, CoregisterWritesRasterTiePointsAndReport) {
  bool ok = false;
  const auto out = run(QStringLiteral("mmreg:coregister"),
                       {{"REFERENCE", kRef}, {"SENSED", kSen}, {"GEOREF_ONLY", true}, {"OUTPUT", path("co.tif")},
                        {"TIE_POINTS", path("tp.gpkg")}, {"REPORT", path("r.json")}, {"HTML", path("r.html")}},
                       nullptr, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(out.value("VERDICT").toString(), QStringLiteral("verified"));
  // The HTML report is an HTML output, which QGIS shows in its results viewer.
  EXPECT_EQ(out.value("HTML").toString(), path("r.html"));
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/r.html"));
  std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(QStringLiteral("mmreg:coregister")));
  ASSERT_TRUE(alg->outputDefinition(QStringLiteral("HTML")));
  EXPECT_EQ(alg->outputDefinition(QStringLiteral("HTML"))->type(), QStringLiteral("outputHtml"));
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

// A CRS assigned in QGIS (Layer Properties > Source) is the one mmreg works in. Here the
// reference file has no CRS and the sensed file a wrong one (another UTM zone); their layers have
// the right one. Without it the run was refused (the sensed has a CRS, the reference none), and
// with a wrong CRS in both files the tie points were labelled with the layer's CRS but computed
// in the file's.
TEST_F(QgisProvider, TheCrsAssignedToALayerInQgisIsTheOneUsed) {
  const QgsCoordinateReferenceSystem truth = QgsCoordinateReferenceSystem::fromEpsgId(31985);
  const auto copyWithCrs = [&](const QString& from, const char* name, const char* crs) {
    GDALDatasetUniquePtr src(GDALDataset::Open(from.toUtf8().constData(), GDAL_OF_RASTER));
    GDALDatasetUniquePtr out(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(path(name).toUtf8().constData(), src.get(),
                                                                                           FALSE, nullptr, nullptr, nullptr));
    OGRSpatialReference srs;
    if (*crs) srs.SetFromUserInput(crs);
    out->SetSpatialRef(*crs ? &srs : nullptr);
    auto* layer = new QgsRasterLayer(path(name), QString::fromLatin1(name), QStringLiteral("gdal"));
    EXPECT_TRUE(layer->isValid());
    layer->setCrs(truth);
    return layer;
  };
  QgsProcessingContext context;
  std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(QStringLiteral("mmreg:coregister")));
  const auto runOn = [&](QgsRasterLayer* ref, QgsRasterLayer* sen, const char* output, QgsProcessingFeedback& feedback) {
    context.temporaryLayerStore()->addMapLayers({ref, sen});
    bool ok = false;
    const QVariantMap out = alg->run({{"REFERENCE", QVariant::fromValue(static_cast<QObject*>(ref))},
                                      {"SENSED", QVariant::fromValue(static_cast<QObject*>(sen))}, {"GEOREF_ONLY", true},
                                      {"OUTPUT", path(output)}, {"TIE_POINTS", path((std::string(output) + ".gpkg").c_str())}},
                                     context, &feedback, &ok);
    EXPECT_TRUE(ok) << feedback.textLog().toStdString();
    return out;
  };
  QgsProcessingFeedback feedback;
  runOn(copyWithCrs(kRef, "ref.tif", ""), copyWithCrs(kSen, "sen.tif", "EPSG:32601"), "co.tif", feedback);
  EXPECT_LT(worstError(dir + "/co.tif"), 0.5);
  const auto output = mmreg::GeoRaster::open(dir + "/co.tif");
  EXPECT_TRUE(QgsCoordinateReferenceSystem::fromWkt(QString::fromStdString(output.crsWkt())) == truth) << output.crsWkt();
  EXPECT_TRUE(feedback.textLog().contains(QStringLiteral("mmreg uses the layer's CRS"))) << feedback.textLog().toStdString();
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/ref.tif.aux.xml")) << "the input's CRS is never written into its files";

  // Both files in the same wrong CRS: the run worked before, but wrote the file's CRS into the
  // output, which QGIS then drew in another zone than the inputs.
  QgsProcessingFeedback second;
  const QVariantMap out = runOn(copyWithCrs(kRef, "ref2.tif", "EPSG:32601"), copyWithCrs(kSen, "sen2.tif", "EPSG:32601"), "co2.tif", second);
  EXPECT_LT(worstError(dir + "/co2.tif"), 0.5);
  const auto output2 = mmreg::GeoRaster::open(dir + "/co2.tif");
  EXPECT_TRUE(QgsCoordinateReferenceSystem::fromWkt(QString::fromStdString(output2.crsWkt())) == truth) << output2.crsWkt();
  QgsVectorLayer tp(out.value("TIE_POINTS").toString(), "tp", "ogr");
  ASSERT_TRUE(tp.isValid());
  EXPECT_TRUE(tp.crs() == truth) << tp.crs().authid().toStdString();

  // Files that carry their layers' CRS are read as they are.
  QgsProcessingFeedback plain;
  runOn(new QgsRasterLayer(kRef, "ref", "gdal"), new QgsRasterLayer(kSen, "sen", "gdal"), "co3.tif", plain);
  EXPECT_FALSE(plain.textLog().contains(QStringLiteral("mmreg uses the layer's CRS"))) << plain.textLog().toStdString();
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

// A tie point digitised on the reference whose sensed position was never typed in is refused by
// its id (it would be read as sensed pixel 0, 0); set to inlier = 0, it is left out instead.
TEST_F(QgisProvider, TiePointWithoutASensedPositionIsRefusedByItsId) {
  bool ok = false;
  run(QStringLiteral("mmreg:extracttiepoints"), {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS", path("ex.gpkg")}}, nullptr, &ok);
  ASSERT_TRUE(ok);
  QgsFeatureId added = 0;
  {
    QgsVectorLayer layer(path("ex.gpkg"), "ex", "ogr");
    ASSERT_TRUE(layer.isValid());
    layer.startEditing();
    QgsFeature f(layer.fields());
    f.setGeometry(QgsGeometry::fromPointXY(layer.extent().center()));
    f.setAttribute(QStringLiteral("inlier"), 1);
    ASSERT_TRUE(layer.addFeature(f));
    ASSERT_TRUE(layer.commitChanges());
    QgsFeature last;
    auto it = layer.getFeatures();
    while (it.nextFeature(last)) added = std::max(added, last.id());
  }
  ErrorLog log;
  ok = true;
  run(QStringLiteral("mmreg:applytiepoints"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("ex.gpkg")}, {"OUTPUT", path("ap.tif")}}, &log, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(log.errors.contains(QStringLiteral("Tie point %1 has no number in sensed_col or sensed_row").arg(added)))
      << log.errors.toStdString();
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/ap.tif"));
  {
    QgsVectorLayer layer(path("ex.gpkg"), "ex", "ogr");
    layer.startEditing();
    layer.changeAttributeValue(added, layer.fields().lookupField("inlier"), 0);
    ASSERT_TRUE(layer.commitChanges());
  }
  run(QStringLiteral("mmreg:applytiepoints"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("ex.gpkg")}, {"GEOREF_ONLY", true}, {"OUTPUT", path("ap.tif")}},
      nullptr, &ok);
  ASSERT_TRUE(ok);
  EXPECT_LT(worstError(dir + "/ap.tif"), 0.5);
}

// The tie-point CSV that mmreg -tiepoints t.csv writes has no geometry: Apply tie points places
// each point by ref_x and ref_y (it skipped every row, and failed with "0 candidate matches").
TEST_F(QgisProvider, ApplyTiePointsFromTheCsvTheCliWrites) {
  const auto cli = mmreg_test::runCli("-q -tiepoints '" + dir + "/t.csv' '" + kRef.toStdString() + "' '" + kSen.toStdString() + "' -");
  ASSERT_EQ(cli.exitCode, 0) << cli.output;
  bool ok = false;
  ErrorLog log;
  run(QStringLiteral("mmreg:applytiepoints"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("t.csv")}, {"GEOREF_ONLY", true}, {"OUTPUT", path("ap.tif")}},
      &log, &ok);
  ASSERT_TRUE(ok) << log.errors.toStdString();
  EXPECT_LT(worstError(dir + "/ap.tif"), 0.5);
}

// With most points disabled, the error says how many are left and how to get more (it said
// "check that the images overlap, or raise -max_tiles", options Apply tie points does not have).
TEST_F(QgisProvider, TooFewEnabledTiePointsSayHowToGetMore) {
  bool ok = false;
  run(QStringLiteral("mmreg:extracttiepoints"), {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS", path("ex.gpkg")}}, nullptr, &ok);
  ASSERT_TRUE(ok);
  {
    QgsVectorLayer layer(path("ex.gpkg"), "ex", "ogr");
    layer.startEditing();
    QgsFeature f;
    auto it = layer.getFeatures();
    for (int k = 0; it.nextFeature(f); ++k)
      if (k >= 3) layer.changeAttributeValue(f.id(), layer.fields().lookupField("inlier"), 0);
    ASSERT_TRUE(layer.commitChanges());
  }
  ErrorLog log;
  run(QStringLiteral("mmreg:applytiepoints"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("ex.gpkg")}, {"OUTPUT", path("ap.tif")}}, &log, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(log.errors.contains("too few tie points to fit: 3 given (points with inlier = 0 are left out), 7 needed"))
      << log.errors.toStdString();
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/ap.tif"));
}

// Tie points whose layer CRS is wrong (a GeoJSON without "crs", which QGIS reads as WGS 84,
// holding UTM coordinates) are a QgsProcessingException naming the point; the transform's
// exception escaped, and qgis_process hung on a message box.
TEST_F(QgisProvider, TiePointsThatCannotBeTransformedAreAProcessingException) {
  const auto cli = mmreg_test::runCli("-q -tiepoints '" + dir + "/t.geojson' '" + kRef.toStdString() + "' '" + kSen.toStdString() + "' -");
  ASSERT_EQ(cli.exitCode, 0) << cli.output;
  std::string json;
  {
    std::ifstream in(dir + "/t.geojson");
    for (std::string line; std::getline(in, line);)
      if (line.find("\"crs\"") == std::string::npos) json += line + "\n";
  }
  std::ofstream(dir + "/nocrs.geojson") << json;
  bool ok = true;
  ErrorLog log;
  run(QStringLiteral("mmreg:applytiepoints"),
      {{"REFERENCE", kRef}, {"SENSED", kSen}, {"TIE_POINTS_IN", path("nocrs.geojson")}, {"OUTPUT", path("ap.tif")}}, &log, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(log.errors.contains("cannot be transformed from the layer's CRS EPSG:4326")) << log.errors.toStdString();
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/ap.tif"));
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
