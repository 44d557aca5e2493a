// The committed splits: deterministic, whole groups held out, and no test pair anywhere else.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "mmreg/error.h"
#include "mmreg/splits.h"
#include "test_support.h"

using namespace mmreg;

namespace {
SplitSpec spec() { return loadSplits(MMREG_SOURCE_DIR "/models/splits.json"); }
}  // namespace

TEST(Splits, WholeGroupsAreHeldOutForTest) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto s = spec();
  const auto all = loadAll(mmreg_test::sharedData());
  std::set<std::string> testGroups;
  for (const auto& p : all) {
    const std::string split = splitOf(p, s);
    if (split == "test") testGroups.insert(p.source + "/" + p.group);
    // No group is split between test and anything else.
    for (const auto& g : s.testGroups)
      if (g == p.source + "/" + p.group) EXPECT_EQ(split, "test") << p.name;
  }
  EXPECT_EQ(testGroups, (std::set<std::string>{"3mos/ALOS", "3mos/TerraSAR", "srif/Optical-Depth", "vsff/VSFF", "landsat/Landsat"}));
  const auto test = selectSplit(all, s, "test"), train = selectSplit(all, s, "train"), val = selectSplit(all, s, "validation");
  EXPECT_EQ(test.size() + train.size() + val.size(), all.size());
  EXPECT_GT(train.size(), val.size());
  EXPECT_GT(val.size(), 20u);
  // 3MOS: one ALOS and four TerraSAR-X grids (10 + 40 pairs), SRIF depth (200), VSFF (2), Landsat (3).
  EXPECT_EQ(test.size(), 10u + 40u + 200u + 2u + 3u);
}

TEST(Splits, AssignmentIsStableAcrossRuns) {
  SKIP_WITHOUT_SHARED_DATA();
  const auto s = spec();
  const auto pairs = loadS1S2(mmreg_test::sharedData() + "/s1s2");
  std::vector<std::string> first, second;
  for (const auto& p : pairs) first.push_back(splitOf(p, s));
  for (const auto& p : pairs) second.push_back(splitOf(p, spec()));
  EXPECT_EQ(first, second);
  const auto nVal = std::count(first.begin(), first.end(), "validation");
  EXPECT_GE(nVal, 2);  // about 15% of 40
  EXPECT_LE(nVal, 12);
}

TEST(Splits, MissingFileIsAClearError) {
  EXPECT_THROW(loadSplits("/nonexistent/splits.json"), Error);
}
