// The CLI's option table: every documented name parses into the options object, and bad
// values are usage errors with a message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "mmreg/option_table.h"
#include "mmreg/process_memory.h"
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

// Nodata as gdalwarp takes it: one value per band ("0 0 0"), which mmreg accepts when they agree.
TEST(CliOptions, NodataGivenPerBandIsOneValue) {
  for (const char* given : {"0", "0 0 0", "0,0,0", " 0  0 "}) {
    auto o = parse({"-srcnodata", given, "-refnodata", given, "a.tif", "b.tif", "c.tif"});
    ASSERT_TRUE(o) << given;
    EXPECT_EQ(o->job.sensedNodata, 0.0) << given;
    EXPECT_EQ(o->job.referenceNodata, 0.0) << given;
  }
  auto o = parse({"-dstnodata", "nan nan", "a.tif", "b.tif", "c.tif"});
  ASSERT_TRUE(o && o->job.out.dstNodata);
  EXPECT_TRUE(std::isnan(*o->job.out.dstNodata));
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
      {{"-model", "spline", "a", "b", "c"}, "-model expects auto, translation, similarity, affine, projective, poly2, poly3 or tps, got 'spline'"},
      {{"-r", "nonsense", "a", "b", "c"}, "-r expects near, bilinear"},
      {{"-tile_size", "0", "a", "b", "c"}, "-tile_size 0 is out of range; use 64 to 8192"},
      {{"-check_share", "0.95", "a", "b", "c"}, "-check_share 0.95 is out of range; use 0 to 0.89"},
      {{"-threshold", "-1", "a", "b", "c"}, "-threshold -1 is out of range; use 0.1 to 1000"},
      {{"-seed", "-3", "a", "b", "c"}, "-seed -3 is out of range"},
      {{"-coarse", "maybe", "a", "b", "c"}, "-coarse expects auto, always or never"},
      {{"-co", "COMPRESS", "a", "b", "c"}, "-co expects NAME=VALUE"},
      {{"-srcnodata", "0 255 0", "a", "b", "c"},
       "-srcnodata '0 255 0' gives the bands different nodata values, and mmreg declares one value on every band"},
      {{"-refnodata", "0 x", "a", "b", "c"}, "-refnodata expects a number or nan, got 'x'"},
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
  for (const auto& o : mmreg::optionTable()) {
    EXPECT_NE(help.find("  " + o.cli + " "), std::string::npos) << o.cli;
    if (o.kind == mmreg::OptionKind::Integer || o.kind == mmreg::OptionKind::Number) {
      const std::string d = mmreg::defaultValue(o);  // empty: optional and unset ("Default , range" was printed)
      EXPECT_NE(help.find(d.empty() ? ". Range " + mmreg::rangeText(o) : "Default " + d + ", range " + mmreg::rangeText(o)),
                std::string::npos)
          << o.cli;
    }
  }
}

// Every declared option parses on the command line into exactly the value its getter reads
// back, and its default is what an untouched options object holds.
TEST(CliOptions, EveryDeclaredOptionRoundTrips) {
  for (const auto& d : mmreg::optionTable()) {
    std::vector<std::string> args{d.cli};
    std::string value;
    switch (d.kind) {
      case mmreg::OptionKind::Flag: value = d.flagValue; break;
      case mmreg::OptionKind::Integer: value = std::to_string(static_cast<long>(d.maxValue)); break;
      case mmreg::OptionKind::Number: value = std::to_string(d.minValue + (d.maxValue - d.minValue) / 4); break;
      case mmreg::OptionKind::Choice: value = d.choices.back(); break;
      case mmreg::OptionKind::Bands: value = "2"; break;
      case mmreg::OptionKind::Text: value = d.repeatable ? "A=B" : "x"; break;
      case mmreg::OptionKind::File:  // an input file must exist
        value = ::testing::TempDir() + "/f." + d.fileExtension;
        std::ofstream(value) << "x";
        break;
      default: value = "f." + d.fileExtension; break;
    }
    if (d.kind != mmreg::OptionKind::Flag) args.push_back(value);
    for (const char* f : {"r.tif", "s.tif", "o.tif"}) args.push_back(f);
    std::string err;
    auto o = parse(args, &err);
    ASSERT_TRUE(o) << d.cli << ": " << err;
    const std::string got = d.get(o->job);
    if (d.kind == mmreg::OptionKind::Number) EXPECT_DOUBLE_EQ(std::stod(got), std::stod(value)) << d.cli;
    else EXPECT_EQ(got, value) << d.cli;
    EXPECT_NE(got, mmreg::defaultValue(d)) << d.cli << " did not change its value";
  }
}

// The CLI keeps freed buffers for reuse (about twice as fast here), unless the analyst tunes glibc's
// malloc in the environment: then that setting stands.
TEST(ProcessMemory, AnExplicitGlibcSettingWins) {
#if defined(__GLIBC__)
  const char* names[] = {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"};
  std::optional<std::string> saved[3];
  for (int i = 0; i < 3; ++i) {
    if (const char* v = std::getenv(names[i])) saved[i] = v;
    unsetenv(names[i]);
  }
  for (const char* name : names) {
    setenv(name, "glibc.malloc.perturb=0", 1);
    EXPECT_FALSE(mmreg::keepFreedMemoryForReuse()) << name;
    unsetenv(name);
  }
  EXPECT_TRUE(mmreg::keepFreedMemoryForReuse());
  for (int i = 0; i < 3; ++i)
    if (saved[i]) setenv(names[i], saved[i]->c_str(), 1);
#else
  GTEST_SKIP() << "the allocator is not glibc's";
#endif
}
