// Output writers: the temporary-name transaction, the fitted georeferencing as GDAL's own
// transformers read it, the Georeferencer .points format, and the GeoPackage layer.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <random>

#include <unistd.h>

#include "mmreg/coregister.h"
#include "mmreg/error.h"
#include "mmreg/outputs.h"
#include "test_support.h"

using namespace mmreg;

class OutputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GDALAllRegister();
    dir = mmreg_test::freshDir("outputs");
  }
  void TearDown() override { mmreg_test::removeTree(dir); }
  void touch(const std::string& p) { std::ofstream(p) << "x"; }
  std::string dir;
};

TEST_F(OutputsTest, TransactionRollsBackUnlessCommitted) {
  std::string tmp;
  {
    OutputTransaction tx;
    tmp = tx.stage(dir + "/out.tif");
    EXPECT_EQ(tmp.substr(tmp.size() - 4), ".tif");
    EXPECT_EQ(tmp.substr(0, dir.size()), dir);
    touch(tmp);
    touch(tmp + ".aux.xml");
  }
  EXPECT_EQ(mmreg_test::countEntries(dir), 0);
  {
    OutputTransaction tx;
    touch(tx.stage(dir + "/a.json"));
    touch(tx.stage(dir + "/b.points"));
    tx.commit(false);
  }
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/a.json"));
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/b.points"));
  EXPECT_EQ(mmreg_test::countEntries(dir), 2);
}

// Replacing an output removes what described the old one: its PAM metadata, external mask and
// external overviews (QGIS would draw the old image from them when zoomed out).
TEST_F(OutputsTest, OverwriteRemovesTheOldOutputsSidecars) {
  for (const char* sidecar : {".aux.xml", ".msk", ".ovr"}) touch(dir + "/o.tif" + sidecar);
  touch(dir + "/o.tif");
  {
    OutputTransaction tx;
    touch(tx.stage(dir + "/o.tif"));
    tx.commit(true);
  }
  for (const char* sidecar : {".aux.xml", ".msk", ".ovr"}) EXPECT_FALSE(mmreg_test::fileExists(dir + "/o.tif" + sidecar)) << sidecar;
  EXPECT_EQ(mmreg_test::countEntries(dir), 1);
}

TEST_F(OutputsTest, CommitRefusesToReplaceAFileThatAppeared) {
  OutputTransaction tx;
  touch(tx.stage(dir + "/late.txt"));
  touch(dir + "/late.txt");
  EXPECT_THROW(tx.commit(false), Error);
}

// A folder where an output goes is never replaced, even with -overwrite: the rename would set
// it aside and delete it.
TEST_F(OutputsTest, CommitNeverReplacesAFolder) {
  VSIMkdir((dir + "/r.json").c_str(), 0755);
  touch(dir + "/r.json/inside.txt");
  {
    OutputTransaction tx;
    touch(tx.stage(dir + "/r.json"));
    try {
      tx.commit(true);
      ADD_FAILURE() << "a folder was replaced";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is not a regular file"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/r.json/inside.txt"));
  EXPECT_EQ(mmreg_test::countEntries(dir), 1);
}

TEST_F(OutputsTest, LongLegalNamesGetLegalTemporaryNames) {
  for (size_t length : {239, 250, 255}) {
    const std::string name = std::string(length - 4, 'n') + ".tif";
    OutputTransaction tx;
    const std::string tmp = tx.stage(dir + "/" + name);
    EXPECT_LE(tmp.size() - dir.size() - 1 + std::string(".aux.xml").size(), 255u) << length;
    std::ofstream f(tmp);
    ASSERT_TRUE(f.good()) << "cannot create the temporary name for a " << length << "-byte name";
    f << "x";
    f.close();
    tx.commit(false);
    EXPECT_TRUE(mmreg_test::fileExists(dir + "/" + name)) << length;
    std::remove((dir + "/" + name).c_str());
  }
}

// The second output cannot be renamed (its name is too long for the file system; root ignores
// permissions, so a test cannot use them): the first must not be left renamed, and the file it
// was to replace must be back as it was.
TEST_F(OutputsTest, CommitIsAllOrNothing) {
  std::ofstream(dir + "/a.json") << "old";
  {
    OutputTransaction tx;
    std::ofstream(tx.stage(dir + "/a.json")) << "new";
    std::ofstream(tx.stage(dir + "/" + std::string(300, 'b') + ".json")) << "new";
    EXPECT_THROW(tx.commit(true), Error);
  }
  std::ifstream in(dir + "/a.json");
  std::string a;
  std::getline(in, a);
  EXPECT_EQ(a, "old");
  EXPECT_EQ(mmreg_test::countEntries(dir), 1) << "a temporary or set-aside file was left behind";
}

// A driver may write files beside the raster under its stem (ENVI's "a.hdr" for "a.dat"): they
// were left under the temporary name, and the renamed raster could not be opened.
TEST_F(OutputsTest, CompanionFilesOfTheDriverFollowTheOutput) {
  GDALDriver* envi = GetGDALDriverManager()->GetDriverByName("ENVI");
  ASSERT_NE(envi, nullptr);
  const auto write = [&](const std::string& path, GByte value) {
    GDALDatasetUniquePtr ds(envi->Create(path.c_str(), 4, 3, 1, GDT_Byte, nullptr));
    ASSERT_TRUE(ds) << path;
    ASSERT_EQ(ds->GetRasterBand(1)->Fill(value), CE_None);
  };
  const auto valueOf = [&](const std::string& path) {
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
    GByte v = 0;
    if (!ds || ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, 1, 1, &v, 1, 1, GDT_Byte, 0, 0) != CE_None) return -1;
    return static_cast<int>(v);
  };
  const auto noTemporaryLeft = [&] {
    char** names = VSIReadDir(dir.c_str());
    for (int i = 0; names && names[i]; ++i) EXPECT_EQ(std::string(names[i]).find(".mmreg-"), std::string::npos) << names[i];
    CSLDestroy(names);
  };
  {
    OutputTransaction tx;
    write(tx.stage(dir + "/a.dat"), 1);
  }
  EXPECT_EQ(mmreg_test::countEntries(dir), 0) << "the header of a rolled-back output was left";
  {
    OutputTransaction tx;
    write(tx.stage(dir + "/a.dat"), 1);
    tx.commit(false);
  }
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/a.hdr"));
  EXPECT_EQ(valueOf(dir + "/a.dat"), 1);
  {
    // Another raster's header where this one's goes is not replaced without -overwrite.
    OutputTransaction tx;
    write(tx.stage(dir + "/a.img"), 5);
    try {
      tx.commit(false);
      ADD_FAILURE() << "a.hdr was replaced without -overwrite";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a file the output '" + dir + "/a.img' comes with, already exists"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(valueOf(dir + "/a.dat"), 1);
  {
    OutputTransaction tx;
    write(tx.stage(dir + "/a.dat"), 2);
    EXPECT_THROW(tx.commit(false), Error);
    tx.commit(true);
  }
  EXPECT_EQ(valueOf(dir + "/a.dat"), 2);
  noTemporaryLeft();
  // An input's header is never replaced by an output's.
  std::ofstream(dir + "/scene.hdr") << "input";
  {
    OutputTransaction tx;
    tx.protect(dir + "/scene.hdr", dir + "/scene.bil");
    write(tx.stage(dir + "/scene.dat"), 3);
    try {
      tx.commit(true);
      ADD_FAILURE() << "an input's header was replaced";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a file of the input '" + dir + "/scene.bil'"), std::string::npos) << e.what();
    }
  }
  std::ifstream in(dir + "/scene.hdr");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "input");
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/scene.dat"));
  noTemporaryLeft();
}

// A world file beside a raster output is read as its georeferencing when the raster has none of
// its own (GCPs): an old one goes with -overwrite, stops the commit without it, and an input's
// is never taken. A Shapefile's old spatial index goes too. Reports have no such companions.
TEST_F(OutputsTest, CommitRemovesCompanionsThatWouldDescribeTheOldFile) {
  std::vector<std::string> paths;
  for (const auto& c : staleCompanions(dir + "/o.tif", true)) paths.push_back(c.path);
  EXPECT_EQ(paths, (std::vector<std::string>{dir + "/o.tif.aux.xml", dir + "/o.tif.msk", dir + "/o.tif.ovr", dir + "/o.tfw", dir + "/o.TFW",
                                              dir + "/o.tifw", dir + "/o.TIFW", dir + "/o.wld", dir + "/o.WLD"}));
  EXPECT_EQ(staleCompanions(dir + "/t.shp", false).size(), 6u);
  EXPECT_TRUE(staleCompanions(dir + "/r.json", false).empty());
  touch(dir + "/o.tfw");
  touch(dir + "/o.tif.aux.xml");  // left when o.tif was deleted
  touch(dir + "/t.qix");
  {
    OutputTransaction tx;
    touch(tx.stage(dir + "/o.tif", true));
    try {
      tx.commit(false);
      ADD_FAILURE() << "an old world file was left beside a new output";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'" + dir + "/o.tif.aux.xml' would be read as part of the output '" + dir + "/o.tif'"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/o.tfw") && mmreg_test::fileExists(dir + "/o.tif.aux.xml"));
  {
    OutputTransaction tx;
    touch(tx.stage(dir + "/o.tif", true));
    touch(tx.stage(dir + "/t.shp"));
    tx.commit(true);
  }
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/o.tfw"));
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/o.tif.aux.xml"));
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/t.qix"));
  EXPECT_EQ(mmreg_test::countEntries(dir), 2);
  touch(dir + "/scene.wld");
  {
    OutputTransaction tx;
    tx.protect(dir + "/scene.wld", dir + "/scene.png");
    touch(tx.stage(dir + "/scene.tif", true));
    try {
      tx.commit(true);
      ADD_FAILURE() << "an input's world file was removed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a file of the input '" + dir + "/scene.png'"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/scene.wld"));
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/scene.tif"));
}

namespace {

struct Fixture {
  GeoRaster ref = GeoRaster::open(mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif");
  GeoRaster sen = GeoRaster::open(mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif");
};

// The model that leaves every pixel where it is.
std::unique_ptr<Transform2D> identityModel() {
  const std::vector<Point2> corners{{0, 0}, {300, 0}, {0, 300}, {300, 300}};
  return fitTransform(ModelType::Affine, corners, corners);
}

// GDAL's own transformer for the fitted georeferencing, sensed pixel -> reference map.
Point2 throughGdal(const FittedGeoref& g, Point2 p) {
  if (g.hasGeoTransform) return applyGeoTransform(g.geoTransform, p);
  std::vector<GDAL_GCP> gcps(g.gcps.size());
  for (size_t i = 0; i < gcps.size(); ++i)
    gcps[i] = {const_cast<char*>(""), const_cast<char*>(""), g.gcps[i].first.x, g.gcps[i].first.y,
               g.gcps[i].second.x, g.gcps[i].second.y, 0};
  void* t = g.polynomialOrder > 0 ? GDALCreateGCPTransformer(static_cast<int>(gcps.size()), gcps.data(), g.polynomialOrder, FALSE)
                                  : GDALCreateTPSTransformer(static_cast<int>(gcps.size()), gcps.data(), FALSE);
  double x = p.x, y = p.y, z = 0;
  int ok = 0;
  (g.polynomialOrder > 0 ? GDALGCPTransform : GDALTPSTransform)(t, FALSE, 1, &x, &y, &z, &ok);
  (g.polynomialOrder > 0 ? GDALDestroyGCPTransformer : GDALDestroyTPSTransformer)(t);
  EXPECT_TRUE(ok);
  return {x, y};
}

}  // namespace

TEST_F(OutputsTest, FittedGeoreferencingIsReproducedByGdalTransformers) {
  Fixture f;
  const GeoTransform r = f.ref.geoTransform();
  std::vector<Point2> from, to;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0, 340);
  for (int i = 0; i < 80; ++i) {
    const Point2 p{u(rng), u(rng)};
    from.push_back(p);
    to.push_back({3 + 1.01 * p.x + 2e-4 * p.x * p.y + 0.01 * p.y, -4 + 0.99 * p.y + 1e-4 * p.x * p.x});
  }
  for (auto t : {ModelType::Affine, ModelType::Projective, ModelType::Poly2, ModelType::Poly3, ModelType::Tps}) {
    const auto m = fitTransform(t, from, to);
    const FittedGeoref g = describeFit(f.ref, f.sen, *m);
    EXPECT_EQ(g.hasGeoTransform, t == ModelType::Affine);
    for (auto p : {Point2{10, 20}, Point2{170, 180}, Point2{330, 300}}) {
      const Point2 want = applyGeoTransform(r, m->apply(p)), got = throughGdal(g, p);
      // 28.5 m pixels: agreement to 1/100 of a pixel
      EXPECT_NEAR(got.x, want.x, 0.3) << modelName(t);
      EXPECT_NEAR(got.y, want.y, 0.3) << modelName(t);
    }
  }
}

// A SAR band stored as scaled integers (dB = 0.01 DN - 30) keeps its scale, offset, unit, name
// and metadata in every output, and the scene its acquisition time, as gdalwarp keeps them; the
// input's statistics do not travel, as they describe other pixels.
TEST_F(OutputsTest, OutputsKeepTheSensedBandsScaleUnitAndMetadata) {
  Fixture f;
  const std::string sensedPath = dir + "/sensed.tif";
  {
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(
        sensedPath.c_str(), f.sen.handle(), FALSE, nullptr, nullptr, nullptr));
    ASSERT_TRUE(ds);
    ds->SetMetadataItem("ACQUISITION_START", "2020-05-01T05:00:00");
    GDALRasterBand* b = ds->GetRasterBand(1);
    b->SetDescription("Sigma0_VV");
    b->SetScale(0.01);
    b->SetOffset(-30);
    b->SetUnitType("dB");
    b->SetMetadataItem("POLARISATION", "VV");
    b->SetMetadataItem("STATISTICS_MEAN", "120.5");
  }
  const GeoRaster sen = GeoRaster::open(sensedPath);
  const auto identity = identityModel();
  const ProgressFn none;
  const ProgressSpan progress(none, 0, 1);
  for (const char* format : {"GTiff", "VRT", "PNG"})
    for (bool georefOnly : {false, true}) {
      OutputOptions o;
      o.format = format;
      const std::string path = dir + "/out_" + std::to_string(georefOnly) + "." + (EQUAL(format, "GTiff") ? "tif" : CPLString(format).tolower());
      if (georefOnly)
        writeGeorefOnly(f.ref, sen, *identity, o, path, progress);
      else
        writeWarped(f.ref, sen, *identity, o, path, progress);
      GDALDatasetUniquePtr out(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
      ASSERT_TRUE(out) << path;
      const std::string what = std::string(format) + (georefOnly ? " -georef_only" : " warped");
      EXPECT_STREQ(out->GetMetadataItem("ACQUISITION_START"), "2020-05-01T05:00:00") << what;
      GDALRasterBand* b = out->GetRasterBand(1);
      int has = 0;
      EXPECT_EQ(b->GetScale(&has), 0.01) << what;
      EXPECT_TRUE(has) << what;
      EXPECT_EQ(b->GetOffset(&has), -30) << what;
      EXPECT_TRUE(has) << what;
      EXPECT_STREQ(b->GetUnitType(), "dB") << what;
      EXPECT_STREQ(b->GetDescription(), "Sigma0_VV") << what;
      EXPECT_STREQ(b->GetMetadataItem("POLARISATION"), "VV") << what;
      EXPECT_EQ(b->GetMetadataItem("STATISTICS_MEAN"), nullptr) << what;
    }
}

// A VRT output names its source: a sensed raster given as a connection string relative to the
// current folder (GPKG:scene.gpkg:b) is named with its file made absolute, so the VRT opens from
// any folder.
TEST_F(OutputsTest, VrtOutputsReachASubdatasetOrAZippedRasterFromAnyFolder) {
  Fixture f;
  CPLStringList table;
  table.SetNameValue("RASTER_TABLE", "b");
  GDALDatasetUniquePtr(GetGDALDriverManager()->GetDriverByName("GPKG")->CreateCopy((dir + "/scene.gpkg").c_str(), f.ref.handle(),
                                                                                   FALSE, table.List(), nullptr, nullptr));
  const auto identity = identityModel();
  const ProgressFn none;
  const ProgressSpan progress(none, 0, 1);
  OutputOptions o;
  o.format = "VRT";
  char* cwd = CPLGetCurrentDir();
  const std::string here = cwd ? cwd : ".";
  CPLFree(cwd);
  // And a raster inside a zip named from the current folder: GDAL resolves the archive from the
  // current folder, and the VRT named it so ("/vsizip/scene.zip/scene.tif").
  {
    GDALDatasetUniquePtr(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy((dir + "/scene.tif").c_str(), f.ref.handle(),
                                                                                      FALSE, nullptr, nullptr, nullptr));
    ASSERT_EQ(CPLCopyFile(("/vsizip/" + dir + "/scene.zip/scene.tif").c_str(), (dir + "/scene.tif").c_str()), 0);
  }
  ASSERT_EQ(chdir(dir.c_str()), 0);
  {
    const GeoRaster sen = GeoRaster::open("GPKG:scene.gpkg:b");
    writeGeorefOnly(f.ref, sen, *identity, o, dir + "/georef.vrt", progress);
    writeWarped(f.ref, sen, *identity, o, dir + "/warped.vrt", progress);
    const GeoRaster zipped = GeoRaster::open("/vsizip/scene.zip/scene.tif");
    writeGeorefOnly(f.ref, zipped, *identity, o, dir + "/zip_georef.vrt", progress);
    writeWarped(f.ref, zipped, *identity, o, dir + "/zip_warped.vrt", progress);
  }
  ASSERT_EQ(chdir(here.c_str()), 0);
  for (const char* name : {"/georef.vrt", "/warped.vrt", "/zip_georef.vrt", "/zip_warped.vrt"}) {
    GDALDatasetUniquePtr vrt(GDALDataset::Open((dir + name).c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(vrt) << name;
    GByte v = 0;
    EXPECT_EQ(vrt->GetRasterBand(1)->RasterIO(GF_Read, 100, 100, 1, 1, &v, 1, 1, GDT_Byte, 0, 0, nullptr), CE_None) << name;
  }
}

// Some GDAL drivers drop what they cannot store without an error: a rotated geotransform (Arc/Info
// ASCII grid), GCPs (RST, netCDF), the CRS (XYZ). Such an output would not carry the
// registration, so it is an error that names the format and what it lost; GTiff keeps it all.
TEST_F(OutputsTest, AFormatThatDropsTheGeoreferencingIsAnError) {
  Fixture f;
  std::vector<Point2> from, rotated, bent;
  for (double y : {0.0, 150.0, 300.0})
    for (double x : {0.0, 150.0, 300.0}) {
      from.push_back({x, y});
      const double a = 5 * M_PI / 180;
      rotated.push_back({std::cos(a) * x - std::sin(a) * y + 4, std::sin(a) * x + std::cos(a) * y - 3});
      bent.push_back({x + 2e-4 * x * y, y + 1e-4 * x * x});
    }
  const auto affine = fitTransform(ModelType::Affine, from, rotated);
  const auto poly2 = fitTransform(ModelType::Poly2, from, bent);
  const ProgressFn none;
  const ProgressSpan progress(none, 0, 1);
  const auto georefOnly = [&](const char* format, const Transform2D& model, const std::string& name) {
    OutputOptions o;
    o.format = format;
    writeGeorefOnly(f.ref, f.sen, model, o, dir + "/" + name, progress);
  };
  const auto fails = [&](const std::function<void()>& write, const std::string& message) {
    try {
      write();
      ADD_FAILURE() << "no error; wanted: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  EXPECT_NO_THROW(georefOnly("GTiff", *affine, "rotated.tif"));
  EXPECT_NO_THROW(georefOnly("GTiff", *poly2, "bent.tif"));
  fails([&] { georefOnly("AAIGrid", *affine, "rotated.asc"); }, "the AAIGrid format did not keep the geotransform in '" + dir + "/rotated.asc'");
  fails([&] { georefOnly("RST", *poly2, "bent.rst"); }, "the RST format did not keep the GCPs of the fitted model");
  OutputOptions xyz;
  xyz.format = "XYZ";
  fails([&] { writeWarped(f.ref, f.sen, *affine, xyz, dir + "/warped.xyz", progress); }, "the XYZ format did not keep the CRS");
}

// GeoPackage names its table after the file it writes, which is the temporary one: the table
// (the layer name QGIS shows) takes the output's own name instead.
// -overwrite replaces whole files: a GeoPackage that also holds the user's own layers is not
// replaced (those layers would be deleted); one holding only mmreg's table is.
TEST_F(OutputsTest, OverwriteNeverDeletesOtherLayersOfAGeoPackage) {
  const std::string ref = mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif";
  const std::string sen = mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif";
  const std::string project = dir + "/project.gpkg";
  {
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GPKG")->Create(project.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    ASSERT_TRUE(ds);
    ASSERT_TRUE(ds->CreateLayer("roads", nullptr, wkbLineString, nullptr));
  }
  for (const std::string& args : {"-tiepoints " + project + " " + ref + " " + sen + " -", ref + " " + sen + " " + project}) {
    const auto r = mmreg_test::runCli("-q -overwrite " + args);
    EXPECT_EQ(r.exitCode, 1) << args << ": " << r.output;
    EXPECT_NE(r.output.find("is a GeoPackage that also holds roads; -overwrite replaces the whole file"), std::string::npos) << r.output;
    GDALDatasetUniquePtr kept(GDALDataset::Open(project.c_str(), GDAL_OF_VECTOR));
    ASSERT_TRUE(kept && kept->GetLayerByName("roads")) << args;
  }
  const std::string own = dir + "/own.gpkg";
  for (int run = 0; run < 2; ++run) {
    const auto r = mmreg_test::runCli("-q -overwrite -tiepoints " + own + " " + ref + " " + sen + " " + dir + "/own_raster.gpkg");
    EXPECT_EQ(r.exitCode, 0) << "run " << run << ": " << r.output;
  }
}

TEST_F(OutputsTest, GeoPackageTableIsNamedAfterTheOutput) {
  Fixture f;
  const auto identity = identityModel();
  const ProgressFn none;
  OutputOptions o;
  o.format = "GPKG";
  o.output = dir + "/scene_on_ortho.gpkg";
  writeWarped(f.ref, f.sen, *identity, o, dir + "/.mmreg-tmp-1-0-scene_on_ortho.gpkg", ProgressSpan(none, 0, 1));
  EXPECT_TRUE(GDALDatasetUniquePtr(GDALDataset::Open(("GPKG:" + dir + "/.mmreg-tmp-1-0-scene_on_ortho.gpkg:scene_on_ortho").c_str(),
                                                     GDAL_OF_RASTER)));
}

TEST_F(OutputsTest, PointsFileFollowsTheGeoreferencerFormat) {
  Fixture f;
  std::vector<TiePoint> pts;
  for (int i = 0; i < 20; ++i) pts.push_back({{10.0 + 15 * i, 20.0 + 13 * (i % 7)}, {12.0 + 15 * i, 18.0 + 13 * (i % 7)}, 1, 0});
  pts.push_back({{5, 5}, {300, 300}, 1, 0});  // an outlier
  FitOptions o;
  o.model = ModelType::Translation;
  const auto fit = fitGlobalModel(pts, o);
  writePointsFile(f.ref, f.sen, pts, fit, dir + "/p.points");
  std::ifstream in(dir + "/p.points");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("#CRS: ", 0), 0u);
  std::getline(in, line);
  EXPECT_EQ(line, "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual");
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    int commas = 0;
    for (char c : line) commas += c == ',';
    EXPECT_EQ(commas, 7) << line;
  }
  EXPECT_EQ(rows, fit.inlierCount);
  EXPECT_EQ(rows, 20);
}

namespace {

// 30 tie points on three tiles, one pixel apart in x and y, and their translation fit.
std::vector<TiePoint> thirtyTiePoints() {
  std::vector<TiePoint> pts;
  for (int i = 0; i < 30; ++i) pts.push_back({{10.0 + 9 * i, 30.0 + 7 * (i % 5)}, {11.0 + 9 * i, 29.0 + 7 * (i % 5)}, 0.5, i % 3});
  return pts;
}
FitResult translationFit(const std::vector<TiePoint>& pts) {
  FitOptions o;
  o.model = ModelType::Translation;
  return fitGlobalModel(pts, o);
}

}  // namespace

TEST_F(OutputsTest, TiePointLayerHasFlagsAndResiduals) {
  Fixture f;
  const auto pts = thirtyTiePoints();
  const auto fit = translationFit(pts);
  writeTiePoints(f.ref, pts, fit, dir + "/t.gpkg");
  GDALDatasetUniquePtr ds(GDALDataset::Open((dir + "/t.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  OGRLayer* l = ds->GetLayerByName("tie_points");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->GetFeatureCount(), 30);
  for (const char* name : {"ref_x", "ref_y", "sensed_col", "sensed_row", "inlier", "check", "residual_px", "residual_m", "tile"})
    EXPECT_GE(l->GetLayerDefn()->GetFieldIndex(name), 0) << name;
  int checks = 0;
  const double metres = groundPixelSizeMetres(f.ref);  // the sample's UTM: about 28.5 m
  EXPECT_NEAR(metres, 28.5, 0.3);
  for (auto& feat : *l) {
    checks += feat->GetFieldAsInteger("check");
    EXPECT_NEAR(feat->GetFieldAsDouble("residual_m"), feat->GetFieldAsDouble("residual_px") * metres, 1e-9);
  }
  EXPECT_EQ(checks, fit.checkCount);
  EXPECT_GT(checks, 0);
}

// The format follows the extension, as with ogr2ogr; a Shapefile's .dbf/.shx/.prj come with it.
TEST_F(OutputsTest, TiePointLayerInTheFormatItsExtensionNames) {
  EXPECT_EQ(tiePointFormatFor("t.gpkg"), "GPKG");
  EXPECT_EQ(tiePointFormatFor("T.SHP"), "ESRI Shapefile");
  EXPECT_EQ(tiePointFormatFor("t.geojson"), "GeoJSON");
  EXPECT_EQ(tiePointFormatFor("t.tif"), "");
  EXPECT_EQ(tiePointFormatFor("t"), "");
  Fixture f;
  const auto pts = thirtyTiePoints();
  const auto fit = translationFit(pts);
  for (const char* name : {"/t.shp", "/t.geojson", "/t.csv", "/t.fgb"}) {
    writeTiePoints(f.ref, pts, fit, dir + name);
    GDALDatasetUniquePtr ds(GDALDataset::Open((dir + name).c_str(), GDAL_OF_VECTOR));
    ASSERT_TRUE(ds) << name;
    OGRLayer* l = ds->GetLayer(0);
    ASSERT_TRUE(l) << name;
    EXPECT_EQ(l->GetFeatureCount(), 30) << name;
    for (const char* field : {"ref_x", "ref_y", "inlier", "check"}) EXPECT_GE(l->GetLayerDefn()->GetFieldIndex(field), 0) << name << " " << field;
  }
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/t.dbf"));
  // Numbers in the CSV are numbers, not quoted text ("1") that spreadsheets read as strings.
  std::ifstream csv(dir + "/t.csv");
  std::string header, row;
  ASSERT_TRUE(std::getline(csv, header) && std::getline(csv, row));
  EXPECT_EQ(row.find('"'), std::string::npos) << row;
}

// Without -of, the output's extension names the format, as with gdal_translate: out.vrt, out.png
// and out.img were GeoTIFFs under those names, which other programs then misread.
TEST_F(OutputsTest, OutputFormatFollowsTheExtensionWithoutOf) {
  EXPECT_EQ(rasterFormatFor("o.tif"), "GTiff");
  EXPECT_EQ(rasterFormatFor("o.VRT"), "VRT");
  EXPECT_EQ(rasterFormatFor("o"), "GTiff");
  EXPECT_THROW(rasterFormatFor("o.qqq"), Error);
  const std::string ref = mmreg_test::sampleData() + "/landsat_red_swir1_ref.tif";
  const std::string sen = mmreg_test::sampleData() + "/landsat_red_swir1_sensed.tif";
  for (const auto& [name, driver] : std::vector<std::pair<std::string, std::string>>{
           {"o.vrt", "VRT"}, {"o.png", "PNG"}, {"o.img", "HFA"}, {"o", "GTiff"}}) {
    const auto r = mmreg_test::runCli("-q -georef_only " + ref + " " + sen + " " + dir + "/" + name);
    ASSERT_EQ(r.exitCode, 0) << name << ": " << r.output;
    GDALDatasetUniquePtr ds(GDALDataset::Open((dir + "/" + name).c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(ds) << name;
    EXPECT_EQ(std::string(ds->GetDriver()->GetDescription()), driver) << name;
  }
  const auto r = mmreg_test::runCli("-q " + ref + " " + sen + " " + dir + "/o.qqq");
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("no GDAL raster driver writes files ending in '.qqq'"), std::string::npos) << r.output;
  const auto given = mmreg_test::runCli("-q -georef_only -of GTiff " + ref + " " + sen + " " + dir + "/tiff.img");
  ASSERT_EQ(given.exitCode, 0) << given.output;
  GDALDatasetUniquePtr tiff(GDALDataset::Open((dir + "/tiff.img").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(tiff);
  EXPECT_EQ(std::string(tiff->GetDriver()->GetDescription()), "GTiff");  // -of wins, as with gdal_translate
}

// A Shapefile holds map coordinates of 8 integer digits (the s1s2 sample's World Mercator,
// x about -13 162 000 m) without a warning per point and without losing them, and residual_px
// under the 10 characters a .dbf allows, without GDAL's warning that it cut the name.
TEST_F(OutputsTest, ShapefileTiePointsHoldLargeMapCoordinates) {
  const auto ref = GeoRaster::open(mmreg_test::sampleData() + "/s1s2_075_ref.tif");
  const auto pts = thirtyTiePoints();
  const auto fit = translationFit(pts);
  static int warnings = 0;
  warnings = 0;
  CPLPushErrorHandler([](CPLErr e, CPLErrorNum, const char*) { warnings += e == CE_Warning; });
  writeTiePoints(ref, pts, fit, dir + "/big.shp");
  CPLPopErrorHandler();
  EXPECT_EQ(warnings, 0);
  GDALDatasetUniquePtr ds(GDALDataset::Open((dir + "/big.shp").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  EXPECT_GE(ds->GetLayer(0)->GetLayerDefn()->GetFieldIndex("residual_p"), 0);
  size_t i = 0;
  for (auto& feat : *ds->GetLayer(0)) {
    const Point2 map = applyGeoTransform(ref.geoTransform(), pts[i++].ref);
    ASSERT_LT(map.x, -1e7);
    EXPECT_NEAR(feat->GetFieldAsDouble("ref_x"), map.x, 1e-6);
    EXPECT_NEAR(feat->GetFieldAsDouble("ref_y"), map.y, 1e-6);
  }
  EXPECT_EQ(i, pts.size());
}

// GeoJSON names a CRS only by an EPSG code: tie points in a CRS without one (a custom transverse
// Mercator) were written in its metres with no CRS, which readers take for degrees. They are
// now in WGS 84, where GDAL finds them at the reference position; an EPSG CRS is kept.
TEST_F(OutputsTest, GeoJsonTiePointsLieWhereTheyAreInAnyCrs) {
  const std::string custom = dir + "/custom.tif";
  {
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(custom.c_str(), 64, 64, 1, GDT_Byte, nullptr));
    double gt[6] = {431000, 30, 0, 3756000, 0, -30};
    ds->SetGeoTransform(gt);
    OGRSpatialReference tm;
    tm.importFromProj4("+proj=tmerc +lat_0=0 +lon_0=-117.5 +k=0.9996 +x_0=500000 +y_0=0 +datum=WGS84 +units=m");
    ds->SetSpatialRef(&tm);
  }
  const auto pts = thirtyTiePoints();
  const auto fit = translationFit(pts);
  for (const std::string& raster : {custom, mmreg_test::sampleData() + "/s1s2_075_ref.tif"}) {
    const auto ref = GeoRaster::open(raster);
    const std::string path = dir + "/t" + std::to_string(raster == custom) + ".geojson";
    writeTiePoints(ref, pts, fit, path);
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    ASSERT_TRUE(ds);
    OGRLayer* l = ds->GetLayer(0);
    const OGRSpatialReference* read = l->GetSpatialRef();
    ASSERT_TRUE(read);
    if (raster != custom) EXPECT_STREQ(read->GetAuthorityCode(nullptr), "3395");
    OGRSpatialReference target;
    target.importFromWkt(ref.crsWkt().c_str());
    target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> toRef(OGRCreateCoordinateTransformation(read, &target));
    ASSERT_TRUE(toRef);
    int n = 0;
    for (auto& f : *l) {
      const auto* p = f->GetGeometryRef()->toPoint();
      double x = p->getX(), y = p->getY();
      ASSERT_TRUE(toRef->Transform(1, &x, &y));
      EXPECT_NEAR(x, f->GetFieldAsDouble("ref_x"), 0.1) << raster;
      EXPECT_NEAR(y, f->GetFieldAsDouble("ref_y"), 0.1) << raster;
      ++n;
    }
    EXPECT_EQ(n, 30);
  }
}

// Without a CRS the ground distance is unknown: residual_m is null, not a number in CRS units.
TEST_F(OutputsTest, TiePointResidualInMetresIsNullWithoutACrs) {
  const std::string local = dir + "/local.tif";
  {
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(local.c_str(), 64, 64, 1, GDT_Byte, nullptr));
    double gt[6] = {1000, 2, 0, 5000, 0, -2};  // a local grid in unknown units
    ds->SetGeoTransform(gt);
  }
  const auto ref = GeoRaster::open(local);
  std::vector<TiePoint> pts;
  for (int i = 0; i < 12; ++i) pts.push_back({{5.0 + 4 * i, 6.0 + 3 * (i % 4)}, {6.0 + 4 * i, 5.0 + 3 * (i % 4)}, 0.5, 0});
  FitOptions o;
  o.model = ModelType::Translation;
  writeTiePoints(ref, pts, fitGlobalModel(pts, o), dir + "/t.gpkg");
  GDALDatasetUniquePtr ds(GDALDataset::Open((dir + "/t.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  for (auto& feat : *ds->GetLayerByName("tie_points")) {
    EXPECT_TRUE(feat->IsFieldNull(feat->GetFieldIndex("residual_m")));
    EXPECT_FALSE(feat->IsFieldNull(feat->GetFieldIndex("residual_px")));
  }
}

// The errors as the CLI, QGIS and the HTML report print them: metres only where they are known.
TEST(ErrorText, MetresOnlyWhereTheGroundPixelSizeIsKnown) {
  EXPECT_EQ(pixelsAndMetres(1.1814, 8.37), "1.181 px (9.89 m)");
  EXPECT_EQ(pixelsAndMetres(1.1814, NAN), "1.181 px");
  EXPECT_EQ(pixelsAndMetres(NAN, 8.37), "none");  // no check points
}
