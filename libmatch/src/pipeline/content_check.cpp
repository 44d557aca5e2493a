#include "pipeline/content_check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "mmreg/error.h"

namespace mmreg {

void checkHasContent(const GeoRaster& raster, const std::vector<int>& bands, const std::vector<Image>& overviews, const char* role) {
  std::string names;
  bool anyValid = false;
  float constant = 0;
  for (size_t k = 0; k < bands.size() && k < overviews.size(); ++k) {
    names += (names.empty() ? "" : ", ") + std::to_string(bands[k]);
    const Image& img = overviews[k];
    float lo = INFINITY, hi = -INFINITY;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        if (img.isValid(x, y) && std::isfinite(img.at(x, y))) lo = std::min(lo, img.at(x, y)), hi = std::max(hi, img.at(x, y));
    if (lo > hi) continue;  // no valid pixel in this band
    if (hi > lo) return;    // contrast: something to match
    anyValid = true;
    constant = lo;
  }
  const std::string which = std::string("the ") + role + " raster '" + raster.path() + "' (band" + (bands.size() > 1 ? "s " : " ") + names + ")";
  if (!anyValid)
    throw Error(which + " has no valid pixels: every pixel is no-data or masked. Check the band (-b/-refb), its no-data value "
                        "(gdalinfo) and that the file holds data");
  throw Error(which + " is constant (every valid pixel is " + std::to_string(constant) +
              "): there is no structure to match. Check the band (-b/-refb) and that the file holds an image");
}

double undeclaredZeroFill(const Image& img) {
  if (img.empty()) return 0;
  const auto fill = [&](int x, int y) { return img.isValid(x, y) && img.at(x, y) == 0.f; };
  std::vector<std::uint8_t> seen(img.pixels.size(), 0);
  std::vector<int> todo;
  const auto push = [&](int x, int y) {
    const size_t i = static_cast<size_t>(y) * img.width + x;
    if (!seen[i] && fill(x, y)) seen[i] = 1, todo.push_back(static_cast<int>(i));
  };
  for (int x = 0; x < img.width; ++x) push(x, 0), push(x, img.height - 1);
  for (int y = 0; y < img.height; ++y) push(0, y), push(img.width - 1, y);
  size_t n = 0;
  while (!todo.empty()) {
    const int i = todo.back(), x = i % img.width, y = i / img.width;
    todo.pop_back();
    ++n;
    if (x > 0) push(x - 1, y);
    if (x + 1 < img.width) push(x + 1, y);
    if (y > 0) push(x, y - 1);
    if (y + 1 < img.height) push(x, y + 1);
  }
  return static_cast<double>(n) / img.pixels.size();
}

std::string undeclaredFillAdvice(const GeoRaster& raster, int band, const Image& overview, const char* role, const char* option) {
  const std::string type = raster.dataTypeName(band);
  if (raster.nodataOverride() || (type != "Byte" && type != "UInt16" && type != "UInt32")) return "";
  const double share = undeclaredZeroFill(overview);
  if (share < kMinUndeclaredFill) return "";
  return "the " + std::string(role) + " raster '" + raster.path() + "' has " + std::to_string(static_cast<int>(std::lround(share * 100))) +
         " % of its pixels at 0 joined to its edges, and does not declare them no-data: if that is fill around the scene, "
         "declare it with " + option + " 0; otherwise the fill's edge is matched as image structure" +
         (std::string(role) == "sensed" ? " and the fill is warped as data" : "");
}

}  // namespace mmreg
