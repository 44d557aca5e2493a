// Tile planning: full coverage, skips without data or texture, and a cap that spreads.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tiling/tile_plan.h"

using namespace mmreg;

namespace {

Image textured(int w, int h) {
  Image img(w, h);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0, 1);
  for (auto& v : img.pixels) v = u(rng);
  img.valid.assign(img.pixels.size(), 1);
  return img;
}

}  // namespace

TEST(TilePlan, CoversTheOverlapWithFullTiles) {
  const PixelWindow overlap{100, 50, 1300, 700};
  const auto tiles = planTiles(overlap, textured(325, 175), {512, 100, 0.25});
  ASSERT_EQ(tiles.size(), 3u * 2u);
  for (auto& t : tiles) {
    EXPECT_EQ(t.window.width, 512);
    EXPECT_GE(t.window.x, overlap.x);
    EXPECT_LE(t.window.x + t.window.width, overlap.x + overlap.width);
    EXPECT_TRUE(t.skipped.empty());
  }
  EXPECT_EQ(tiles.back().window.x + 512, overlap.x + overlap.width);  // the last column is shifted inwards
}

TEST(TilePlan, SmallOverlapIsOneTile) {
  const auto tiles = planTiles({0, 0, 200, 180}, textured(200, 180), {512, 10, 0.25});
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0].window.width, 200);
  EXPECT_EQ(tiles[0].window.height, 180);
}

TEST(TilePlan, SkipsNodataAndFlatTiles) {
  Image ov = textured(400, 100);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 100; ++x) ov.valid[y * 400 + x] = 0;        // tile 0: no data
  for (int y = 0; y < 100; ++y)
    for (int x = 100; x < 200; ++x) ov.at(x, y) = 0.3f;             // tile 1: flat
  const auto tiles = planTiles({0, 0, 400, 100}, ov, {100, 10, 0.25});
  ASSERT_EQ(tiles.size(), 4u);
  EXPECT_EQ(tiles[0].skipped, "no valid data");
  EXPECT_EQ(tiles[1].skipped, "no texture");
  EXPECT_TRUE(tiles[2].skipped.empty());
}

TEST(TilePlan, CapKeepsTilesSpreadOut) {
  const auto tiles = planTiles({0, 0, 2000, 2000}, textured(200, 200), {100, 4, 0.25});
  std::vector<PixelWindow> kept;
  for (auto& t : tiles)
    if (t.skipped.empty()) kept.push_back(t.window);
  ASSERT_EQ(kept.size(), 4u);
  double minDist = 1e9;
  for (size_t i = 0; i < kept.size(); ++i)
    for (size_t j = i + 1; j < kept.size(); ++j)
      minDist = std::min(minDist, std::hypot(kept[i].x - kept[j].x, kept[i].y - kept[j].y));
  EXPECT_GT(minDist, 900);  // four tiles in a 2000 px square end up near its corners
}
