// The CLI's option table: every documented name parses into the options object, and bad
// values are usage errors with a message.
#include <gtest/gtest.h>

#include "mmreg_lib.h"

namespace {

std::unique_ptr<MmregAppOptions> parse(std::vector<std::string> args, std::string* err = nullptr) {
  std::string e;
  auto o = MmregAppOptionsNew(args, &e);
  if (err) *err = e;
  return o;
}

}  // namespace

TEST(CliOptions, ParsesTheContractNames) {
  auto o = parse({"-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "BLOCKSIZE=256", "-r", "cubic", "-b", "2", "-b", "3",
                  "-refb", "1", "-overwrite", "-q", "-matcher", "sift", "-model", "poly2", "-tile_size", "256", "-margin",
                  "32", "-max_tiles", "9", "-threshold", "2.5", "-check_share", "0.3", "-seed", "5", "-coarse", "always",
                  "-sensed_type", "sar", "-ref_type", "optical", "-s_srs", "EPSG:32633", "-target", "own", "-georef_only",
                  "-wm", "512", "-threads", "2", "-report", "r.json", "-tiepoints", "t.gpkg", "-points", "p.points", "ref.tif",
                  "sen.tif", "out.tif"});
  ASSERT_TRUE(o);
  const auto& j = o->job;
  EXPECT_EQ(j.out.format, "COG");
  EXPECT_EQ(j.out.creationOptions, (std::vector<std::string>{"COMPRESS=DEFLATE", "BLOCKSIZE=256"}));
  EXPECT_EQ(j.out.resampling, "cubic");
  EXPECT_EQ(j.match.sensedBands, (std::vector<int>{2, 3}));
  EXPECT_EQ(j.match.referenceBands, (std::vector<int>{1}));
  EXPECT_TRUE(j.out.overwrite);
  EXPECT_TRUE(o->quiet);
  EXPECT_EQ(j.match.matcher, "sift");
  EXPECT_EQ(j.fit.model, mmreg::ModelType::Poly2);
  EXPECT_EQ(j.match.tileSize, 256);
  EXPECT_EQ(j.match.searchMargin, 32);
  EXPECT_EQ(j.match.maxTiles, 9);
  EXPECT_DOUBLE_EQ(j.fit.inlierThreshold, 2.5);
  EXPECT_DOUBLE_EQ(j.fit.checkShare, 0.3);
  EXPECT_EQ(j.fit.seed, 5u);
  EXPECT_EQ(j.match.coarse, mmreg::CoarseMode::Always);
  EXPECT_EQ(j.match.sensedModality, mmreg::Modality::Sar);
  EXPECT_EQ(j.match.sensedSrs, "EPSG:32633");
  EXPECT_EQ(j.out.grid, mmreg::OutputGrid::Sensed);
  EXPECT_TRUE(j.out.georefOnly);
  EXPECT_EQ(j.out.warpMemoryMB, 512);
  EXPECT_EQ(j.match.threads, 2);
  EXPECT_EQ(j.out.reportPath, "r.json");
  EXPECT_EQ(j.out.tiePointsPath, "t.gpkg");
  EXPECT_EQ(j.out.pointsPath, "p.points");
  EXPECT_EQ(j.reference, "ref.tif");
  EXPECT_EQ(j.sensed, "sen.tif");
  EXPECT_EQ(j.out.output, "out.tif");
}

TEST(CliOptions, DashOutputMeansNoRaster) {
  auto o = parse({"a.tif", "b.tif", "-", "-report", "r.json"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->job.out.output.empty());
}

TEST(CliOptions, UsageErrorsSayWhatIsWrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-bogus", "a", "b", "c"}, "unknown option '-bogus'"},
      {{"-tile_size", "big", "a", "b", "c"}, "-tile_size expects a whole number, got 'big'"},
      {{"-threshold", "1.5px", "a", "b", "c"}, "-threshold expects a number"},
      {{"-model", "spline", "a", "b", "c"}, "unknown model 'spline'"},
      {{"-coarse", "maybe", "a", "b", "c"}, "-coarse expects auto, always or never"},
      {{"-co", "COMPRESS", "a", "b", "c"}, "-co expects NAME=VALUE"},
      {{"a", "b"}, "expected <reference> <sensed> <output>, got 2"},
      {{"a", "b", "c", "-of"}, "-of needs a value"},
  };
  for (auto& [args, msg] : cases) {
    std::string err;
    EXPECT_FALSE(parse(args, &err));
    EXPECT_NE(err.find(msg), std::string::npos) << "got: " << err;
  }
}

TEST(CliOptions, HelpListsEveryOption) {
  const std::string help = MmregUsage();
  for (const char* name : {"-of", "-co", "-r", "-b", "-refb", "-matcher", "-model", "-tile_size", "-margin", "-max_tiles",
                           "-threshold", "-check_share", "-seed", "-coarse", "-sensed_type", "-ref_type", "-s_srs", "-target",
                           "-georef_only", "-wm", "-threads", "-report", "-tiepoints", "-points", "-overwrite", "-q"})
    EXPECT_NE(help.find(std::string("  ") + name + " "), std::string::npos) << name;
}
