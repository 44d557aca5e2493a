// mmreg_batch under a real mpirun: two ranks share three small pairs, one of them broken; the
// broken pair fails alone, the summary has every pair, and the results equal a one-rank run.
#include <gtest/gtest.h>

#include <cpl_conv.h>
#include <cpl_json.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "test_support.h"

namespace {

struct Summary {
  int pairs = 0, verified = 0, errors = 0, ranks = 0;
  std::vector<std::string> status, parameters;
  std::vector<int> rank;
};

Summary readSummary(const std::string& path) {
  CPLJSONDocument doc;
  Summary s;
  if (!doc.Load(path)) return s;
  const auto root = doc.GetRoot();
  s.pairs = root.GetInteger("pairs"), s.verified = root.GetInteger("verified"), s.errors = root.GetInteger("errors");
  s.ranks = root.GetInteger("ranks");
  const auto results = root.GetArray("results");
  for (int i = 0; i < results.Size(); ++i) {
    s.status.push_back(results[i].GetString("status"));
    s.parameters.push_back(results[i].GetArray("parameters").Format(CPLJSONObject::PrettyFormat::Plain));
    s.rank.push_back(results[i].GetInteger("rank"));
  }
  return s;
}

}  // namespace

class Batch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = mmreg_test::freshDir("batch");
    const std::string s = mmreg_test::sampleData();
    std::ofstream(dir + "/broken.tif") << "not a raster";
    std::ofstream(dir + "/pairs.csv") << "reference,sensed,output,options\n"
                                      << s << "/landsat_red_swir1_ref.tif," << s << "/landsat_red_swir1_sensed.tif,a.tif\n"
                                      << s << "/landsat_red_swir1_ref.tif,broken.tif,b.tif\n"
                                      << s << "/s1s2_075_ref.tif," << s << "/s1s2_075_sensed.tif,c.tif,-model similarity\n";
  }
  void TearDown() override { mmreg_test::removeTree(dir); }
  std::string dir;
};

TEST_F(Batch, TwoRanksShareThePairsAndABrokenOneFailsAlone) {
  const auto two = mmreg_test::runProgram(MMREG_MPIRUN, "-n 2 --allow-run-as-root --oversubscribe '" MMREG_BATCH "' -q -threads 1 -summary '" +
                                                           dir + "/two.json' '" + dir + "/pairs.csv'");
  EXPECT_NE(two.exitCode, 0) << "a failed pair must show in the exit status: " << two.output;
  const Summary s = readSummary(dir + "/two.json");
  ASSERT_EQ(s.pairs, 3) << two.output;
  EXPECT_EQ(s.ranks, 2);
  EXPECT_EQ(s.status, (std::vector<std::string>{"verified", "error", "verified"}));
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/a.tif") && mmreg_test::fileExists(dir + "/c.tif"));
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/b.tif"));
  // -q: no table, but the pair that failed is still reported.
  EXPECT_NE(two.output.find("/broken.tif): error: "), std::string::npos) << two.output;
  EXPECT_EQ(two.output.find("| # |"), std::string::npos) << two.output;
  EXPECT_EQ(two.output.find("/landsat_red_swir1_sensed.tif): verified"), std::string::npos) << two.output;

  // One rank, no mpirun: the same results, pair by pair.
  const auto one = mmreg_test::runProgram(MMREG_BATCH, "-q -threads 1 -overwrite -summary '" + dir + "/one.json' '" + dir + "/pairs.csv'");
  const Summary o = readSummary(dir + "/one.json");
  ASSERT_EQ(o.pairs, 3) << one.output;
  EXPECT_EQ(o.ranks, 1);
  EXPECT_EQ(o.status, s.status);
  EXPECT_EQ(o.parameters, s.parameters) << "a pair's model depends on the rank that ran it";
}

TEST_F(Batch, UsageErrorsStopBeforeAnyWork) {
  auto r = mmreg_test::runProgram(MMREG_BATCH, "-tile_size 0 '" + dir + "/pairs.csv'");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("-tile_size 0 is out of range"), std::string::npos) << r.output;
  r = mmreg_test::runProgram(MMREG_BATCH, "'" + dir + "/none.csv'");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("cannot read the manifest"), std::string::npos) << r.output;
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/a.tif"));
}

// Ranks run pairs in any order and at once: pairs that write one file, or read another pair's
// result, are refused before any work, as are a summary that would replace the manifest or an
// input and one whose folder is missing (it was silently not written).
TEST_F(Batch, PairsThatDependOnEachOtherAreRefusedBeforeAnyWork) {
  const std::string s = mmreg_test::sampleData(), pair = s + "/landsat_red_swir1_ref.tif," + s + "/landsat_red_swir1_sensed.tif,";
  std::ofstream(dir + "/same.csv") << pair << "x.tif\n" << pair << "x.tif\n";
  std::ofstream(dir + "/chain.csv") << pair << "x.tif\n" << s << "/landsat_red_swir1_ref.tif,x.tif,y.tif\n";
  std::ofstream(dir + "/two.csv") << pair << "x.tif\n" << pair << "y.tif\n";
  const std::string q = "'" + dir;
  const std::pair<std::string, std::string> cases[] = {
      {q + "/same.csv'", "pairs 1 and 2 both write '" + dir + "/x.tif' as their output"},
      {q + "/chain.csv'", "pair 2 reads '" + dir + "/x.tif' (its sensed raster), which pair 1 writes as its output"},
      {"-report " + q + "/r.json' " + q + "/two.csv'", "pairs 1 and 2 both write '" + dir + "/r.json' as their -report file"},
      {"-summary " + q + "/two.csv' " + q + "/two.csv'", "is the manifest itself"},
      {"-summary " + q + "/none/s.json' " + q + "/two.csv'", "the folder of the summary '" + dir + "/none/s.json' does not exist"}};
  for (const auto& [args, message] : cases) {
    const auto r = mmreg_test::runProgram(MMREG_BATCH, "-q -overwrite " + args);
    EXPECT_EQ(r.exitCode, 2) << args << ": " << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << ": " << r.output;
  }
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/x.tif"));
  EXPECT_FALSE(mmreg_test::fileExists(dir + "/r.json"));
  std::ifstream manifest(dir + "/two.csv");
  std::string first;
  std::getline(manifest, first);
  EXPECT_EQ(first, pair + "x.tif");
}

// A manifest as a spreadsheet or QGIS writes it: quoted fields that hold commas, spaces and
// quotes (a quote doubled), a quoted header, the UTF-8 mark of "CSV UTF-8" (the header was read
// as a pair). A first pair whose reference is "reference.tif" is
// a pair, not a header.
TEST_F(Batch, QuotedFieldsHoldCommasSpacesAndQuotes) {
  const std::string s = mmreg_test::sampleData(), folder = dir + "/my, data";
  VSIMkdir(folder.c_str(), 0755);
  ASSERT_EQ(CPLCopyFile((folder + "/sensed \"one\".tif").c_str(), (s + "/landsat_red_swir1_sensed.tif").c_str()), 0);
  ASSERT_EQ(CPLCopyFile((dir + "/reference.tif").c_str(), (s + "/landsat_red_swir1_ref.tif").c_str()), 0);
  std::ofstream(dir + "/quoted.csv") << "\xEF\xBB\xBF\"reference\",\"sensed\",\"output\",\"options\"\r\n"
                                     << s << "/landsat_red_swir1_ref.tif,\"my, data/sensed \"\"one\"\".tif\" , \"my, data/out 1.tif\",\"-model translation\"\r\n";
  std::ofstream(dir + "/named.csv") << "\xEF\xBB\xBFreference.tif,\"my, data/sensed \"\"one\"\".tif\",named.tif\n";  // UTF-8 mark
  for (const char* manifest : {"/quoted.csv", "/named.csv"}) {
    const auto r = mmreg_test::runProgram(MMREG_BATCH, "-q -threads 1 -summary '" + dir + manifest + ".json' '" + dir + manifest + "'");
    EXPECT_EQ(r.exitCode, 0) << manifest << ": " << r.output;
    const Summary sum = readSummary(dir + manifest + ".json");
    EXPECT_EQ(sum.status, (std::vector<std::string>{"verified"})) << manifest << ": " << r.output;
  }
  EXPECT_TRUE(mmreg_test::fileExists(folder + "/out 1.tif"));
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/named.tif"));

  std::ofstream(dir + "/open.csv") << "reference,sensed,output\n" << s << "/landsat_red_swir1_ref.tif,\"my, data/x.tif,o.tif\n";
  const auto r = mmreg_test::runProgram(MMREG_BATCH, "'" + dir + "/open.csv'");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("line 2: a quoted field is not closed"), std::string::npos) << r.output;
  std::ofstream(dir + "/semicolons.csv") << "reference;sensed;output\n";
  const auto semicolons = mmreg_test::runProgram(MMREG_BATCH, "'" + dir + "/semicolons.csv'");
  EXPECT_EQ(semicolons.exitCode, 2);
  EXPECT_NE(semicolons.output.find("separate the fields with commas, not semicolons"), std::string::npos) << semicolons.output;
}

// GDAL's general options, as every GDAL program takes them (they were "unknown options").
TEST_F(Batch, TakesGdalsGeneralOptions) {
  const std::string s = mmreg_test::sampleData();
  std::ofstream(dir + "/one.csv") << s << "/landsat_red_swir1_ref.tif," << s << "/landsat_red_swir1_sensed.tif,one.tif\n";
  std::ofstream(dir + "/options.txt") << "-q -summary \"" << dir << "/from optfile.json\"\n";
  const auto r = mmreg_test::runProgram(MMREG_BATCH, "--config CPL_DEBUG ON --optfile '" + dir + "/options.txt' '" + dir + "/one.csv'");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(mmreg_test::fileExists(dir + "/from optfile.json")) << r.output;
  EXPECT_NE(r.output.find("GTiff: "), std::string::npos) << "--config CPL_DEBUG ON had no effect: " << r.output;
  const auto v = mmreg_test::runProgram(MMREG_BATCH, "--version");
  EXPECT_EQ(v.exitCode, 0);
  EXPECT_EQ(v.output.rfind("mmreg_batch ", 0), 0u) << v.output;
}

// The files a pair's options name are relative to the manifest's folder, as its rasters are,
// not to wherever mmreg_batch was started (a -report in the manifest landed there).
TEST_F(Batch, FilesInAPairsOptionsAreRelativeToTheManifest) {
  const std::string s = mmreg_test::sampleData(), folder = dir + "/run";
  VSIMkdir(folder.c_str(), 0755);
  // So is an archive a raster lies in (it was looked for in the current folder).
  for (const char* file : {"landsat_red_swir1_sensed.tif", "landsat_red_swir1_sensed.tif.aux.xml"})
    ASSERT_EQ(CPLCopyFile(("/vsizip/" + folder + "/scenes.zip/" + file).c_str(), (s + "/" + file).c_str()), 0) << file;
  std::ofstream(folder + "/pairs.csv") << s << "/landsat_red_swir1_ref.tif," << s
                                       << "/landsat_red_swir1_sensed.tif,o.tif,-report r.json -tiepoints \"tie points.gpkg\"\n"
                                       << s << "/landsat_red_swir1_ref.tif,/vsizip/scenes.zip/landsat_red_swir1_sensed.tif,z.tif\n"
                                       << s << "/landsat_red_swir1_ref.tif,/vsizip/{scenes.zip}/landsat_red_swir1_sensed.tif,zb.tif\n";
  const auto r = mmreg_test::runProgram(MMREG_BATCH, "-q -threads 1 '" + folder + "/pairs.csv'");
  EXPECT_EQ(r.exitCode, 0) << r.output;
  for (const char* file : {"/o.tif", "/r.json", "/tie points.gpkg", "/z.tif", "/zb.tif"})
    EXPECT_TRUE(mmreg_test::fileExists(folder + file)) << file;
  EXPECT_FALSE(mmreg_test::fileExists("r.json"));
  std::remove("r.json");
  std::remove("tie points.gpkg");
}

// Ctrl-C or a kill in the middle of a batch cancels the pair running and those not started:
// none leaves a partial or temporary file, the summary says which were cancelled, the exit
// status is 1. (A kill used to end the process where it stood, temporary files and all.)
TEST_F(Batch, AnInterruptCancelsThePairsLeftAndLeavesNoPartialFile) {
  const std::string s = mmreg_test::sampleData(), pair = s + "/s1s2_075_ref.tif," + s + "/s1s2_075_sensed.tif,";
  std::ofstream(dir + "/three.csv") << pair << "p1.tif,-tiepoints " << dir << "/t1.gpkg\n"
                                    << pair << "p2.tif,-tiepoints " << dir << "/t2.gpkg\n"
                                    << pair << "p3.tif\n";
  for (int sig : {SIGINT, SIGTERM}) {
    const auto r = mmreg_test::runAndSignal(MMREG_BATCH, {"-threads", "1", dir + "/three.csv"}, sig,
                                            "pair 1/3", 0.3);
    EXPECT_EQ(r.exitCode, 1) << "signal " << sig << ": " << r.output;
    const Summary sum = readSummary(dir + "/three.csv.summary.json");
    EXPECT_EQ(sum.status, (std::vector<std::string>{"verified", "cancelled", "cancelled"})) << "signal " << sig << ": " << r.output;
    EXPECT_NE(r.output.find("interrupted"), std::string::npos) << r.output;
    const CPLStringList entries(VSIReadDir(dir.c_str()));
    for (int i = 0; i < entries.size(); ++i) {
      const std::string e = entries[i];
      EXPECT_TRUE(e == "." || e == ".." || e == "broken.tif" || e == "pairs.csv" || e == "three.csv" || e == "p1.tif" ||
                  e == "t1.gpkg" || e == "three.csv.summary.json")
          << "signal " << sig << " left '" << e << "': " << r.output;
    }
    for (const char* done : {"/p1.tif", "/t1.gpkg", "/three.csv.summary.json"}) std::remove((dir + done).c_str());
  }
}
