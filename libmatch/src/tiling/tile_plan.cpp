#include "tiling/tile_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"

namespace mmreg {
namespace {

std::vector<int> starts(int length, int tile) {
  if (length <= tile) return {0};
  const int n = (length + tile - 1) / tile;
  std::vector<int> s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<int>(std::lround(static_cast<double>(i) * (length - tile) / (n - 1))));
  return s;
}

}  // namespace

std::vector<PlannedTile> planTiles(const PixelWindow& overlap, const Image& overview, const TilePlanOptions& opt) {
  const double sx = static_cast<double>(overview.width) / overlap.width;
  const double sy = static_cast<double>(overview.height) / overlap.height;
  cv::Mat gx, gy, mag;
  cv::Sobel(asMat(overview), gx, CV_32F, 1, 0, 3, 1.0 / 8);
  cv::Sobel(asMat(overview), gy, CV_32F, 0, 1, 3, 1.0 / 8);
  cv::magnitude(gx, gy, mag);
  const cv::Mat valid = validMask(overview);

  std::vector<PlannedTile> tiles;
  const int tw = std::min(opt.tileSize, overlap.width), th = std::min(opt.tileSize, overlap.height);
  for (int y : starts(overlap.height, th))
    for (int x : starts(overlap.width, tw)) {
      PlannedTile t;
      t.index = static_cast<int>(tiles.size());
      t.window = {overlap.x + x, overlap.y + y, tw, th};
      cv::Rect r(static_cast<int>(x * sx), static_cast<int>(y * sy), std::max(1, static_cast<int>(tw * sx)),
                 std::max(1, static_cast<int>(th * sy)));
      r &= cv::Rect(0, 0, overview.width, overview.height);
      const int nValid = r.area() ? cv::countNonZero(valid(r)) : 0;
      t.validFraction = r.area() ? static_cast<double>(nValid) / r.area() : 0;
      t.texture = nValid ? cv::mean(mag(r), valid(r))[0] : 0;
      tiles.push_back(t);
    }

  std::vector<double> tex;
  for (auto& t : tiles)
    if (t.validFraction >= opt.minValid) tex.push_back(t.texture);
  std::sort(tex.begin(), tex.end());
  const double median = tex.empty() ? 0 : tex[tex.size() / 2];
  std::vector<size_t> eligible;
  for (size_t i = 0; i < tiles.size(); ++i) {
    auto& t = tiles[i];
    if (t.validFraction < opt.minValid) t.skipped = "no valid data";
    else if (t.texture < std::max(1e-4, 0.1 * median)) t.skipped = "no texture";
    else eligible.push_back(i);
  }
  if (static_cast<int>(eligible.size()) <= opt.maxTiles) return tiles;

  // Farthest-point sampling, starting from the most textured tile.
  auto centre = [&](size_t i) {
    const auto& w = tiles[i].window;
    return cv::Point2d(w.x + w.width / 2.0, w.y + w.height / 2.0);
  };
  std::vector<size_t> chosen{*std::max_element(eligible.begin(), eligible.end(),
                                               [&](size_t a, size_t b) { return tiles[a].texture < tiles[b].texture; })};
  std::vector<double> dist(tiles.size(), std::numeric_limits<double>::infinity());
  while (static_cast<int>(chosen.size()) < opt.maxTiles) {
    const auto last = centre(chosen.back());
    size_t best = eligible[0];
    double bestD = -1;
    for (auto i : eligible) {
      dist[i] = std::min(dist[i], cv::norm(centre(i) - last));
      if (dist[i] > bestD) bestD = dist[i], best = i;
    }
    chosen.push_back(best);
  }
  for (auto i : eligible)
    if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) tiles[i].skipped = "over the tile cap (-max_tiles)";
  return tiles;
}

}  // namespace mmreg
