#pragma once
// Which bands of a raster are matched, and a word of advice where the choice is a guess.
#include <string>
#include <vector>

#include "mmreg/preprocess.h"
#include "mmreg/raster.h"

namespace mmreg {

struct BandChoice {
  std::vector<int> bands;  // resolved, 1-based
  Modality modality = Modality::Optical;
  bool decibels = false;  // a SAR band of backscatter in dB (looksLikeDecibels)
};

// Picks the bands to use: the user's; else the bands marked red, green and blue, wherever they
// are in the stack (luminance), or bands 1-3 of a 3-band raster; else band 1. Throws
// mmreg::Error for a band that does not exist.
std::vector<int> resolveBands(const GeoRaster& raster, const std::vector<int>& requested, const char* option);

// Advice when band 1 of a stack of 4 or more bands was taken for want of anything better (the
// user chose none, and none is marked red, green and blue): a multispectral export whose first
// band may be its haziest (Sentinel-2's B1, 60 m aerosol). role: "reference" or "sensed";
// option: -refb or -b. Empty otherwise.
std::string bandChoiceAdvice(const GeoRaster& raster, const std::vector<int>& requested, const std::vector<int>& chosen,
                             const char* role, const char* option);

}  // namespace mmreg
