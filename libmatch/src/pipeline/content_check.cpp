#include "pipeline/content_check.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "mmreg/error.h"

namespace mmreg {

void checkHasContent(const GeoRaster& raster, const std::vector<int>& bands, const char* role) {
  const int longest = std::max(raster.width(), raster.height());
  const double shrink = std::max(1.0, longest / 1024.0);
  const int w = std::max(1, static_cast<int>(raster.width() / shrink)), h = std::max(1, static_cast<int>(raster.height() / shrink));
  std::string names;
  bool anyValid = false;
  float constant = 0;
  for (int band : bands) {
    names += (names.empty() ? "" : ", ") + std::to_string(band);
    const Image img = raster.readWindow(band, {0, 0, raster.width(), raster.height()}, w, h);
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

}  // namespace mmreg
