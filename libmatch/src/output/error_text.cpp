#include <cmath>
#include <cstdio>
#include <string>

#include "mmreg/coregister.h"

namespace mmreg {

std::string pixelsAndMetres(double px, double metresPerPixel) {
  if (!std::isfinite(px)) return "none";
  char buf[96];
  if (std::isfinite(metresPerPixel)) std::snprintf(buf, sizeof buf, "%.3f px (%.2f m)", px, px * metresPerPixel);
  else std::snprintf(buf, sizeof buf, "%.3f px", px);
  return buf;
}

}  // namespace mmreg
