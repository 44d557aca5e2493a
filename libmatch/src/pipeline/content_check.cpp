#include "pipeline/content_check.h"

#include <algorithm>
#include <cmath>
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

}  // namespace mmreg
