#include "pipeline/band_choice.h"

#include <gdal_priv.h>

namespace mmreg {

std::vector<int> resolveBands(const GeoRaster& raster, const std::vector<int>& requested, const char* option) {
  for (int b : requested) raster.checkBand(b, option);
  if (!requested.empty()) return requested;
  const int n = raster.bandCount();
  // The first band of each colour: a 5-band GeoTIFF with PHOTOMETRIC=RGB marks bands 1-3 and
  // leaves its near-infrared and alpha-less extras undefined; a BGR stack marks them backwards.
  int red = 0, green = 0, blue = 0;
  for (int b = 1; b <= n; ++b) {
    const GDALColorInterp ci = raster.handle()->GetRasterBand(b)->GetColorInterpretation();
    if (ci == GCI_RedBand && !red) red = b;
    if (ci == GCI_GreenBand && !green) green = b;
    if (ci == GCI_BlueBand && !blue) blue = b;
  }
  if (red && green && blue) return {red, green, blue};
  if (n == 3) return {1, 2, 3};
  return {1};
}

std::string bandChoiceAdvice(const GeoRaster& raster, const std::vector<int>& requested, const std::vector<int>& chosen,
                             const char* role, const char* option) {
  const int n = raster.bandCount();
  if (!requested.empty() || n < 4 || chosen.size() != 1) return "";
  const std::string description = raster.handle()->GetRasterBand(chosen[0])->GetDescription();
  return "the " + std::string(role) + " raster '" + raster.path() + "' has " + std::to_string(n) +
         " bands and marks none red, green and blue, so band " + std::to_string(chosen[0]) +
         (description.empty() ? "" : " ('" + description + "')") +
         " was matched: if another band shows the scene's structure more sharply (for optical imagery, a red or "
         "near-infrared band), choose it with " + option + " N";
}

}  // namespace mmreg
