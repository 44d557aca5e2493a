#pragma once
// Rewrites a bench case's SAR image the way many users receive Sentinel-1: calibrated backscatter
// in decibels, Float32, mostly negative (Google Earth Engine's S1_GRD, SNAP's Sigma0_dB).
#include <string>

namespace bench {

// The 8-bit amplitude a (scaled to its 99 % quantile, as the datasets give it) becomes
// 10 log10(sigma0) with sigma0 = 0.3 (a / 255)^2, floored at -40 dB: -40 to -5 dB, as VV and VH
// are. The georeferencing and nodata mask are kept. Throws mmreg::Error on failure.
void rewriteAsDecibels(const std::string& geotiff);

}  // namespace bench
