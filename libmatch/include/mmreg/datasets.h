#pragma once
// Loaders for the aligned multimodal pairs in ../shared/data (see its README for licences).
// A loader lists windows of files; nothing is read until a case is built from a pair.
#include <optional>
#include <string>
#include <vector>

#include "mmreg/geometry.h"

namespace mmreg {

struct ImageWindowRef {
  std::string path;
  PixelWindow window;     // width/height 0: the whole raster
  std::vector<int> bands; // 1-based
};

struct AlignedPair {
  std::string name;      // unique, e.g. "3mos/SEN_city/3"
  std::string source;    // 3mos | s1s2 | vsff | srif | landsat
  std::string group;     // split unit: SAR satellite, SRIF modality, ...
  ImageWindowRef reference;  // optical
  ImageWindowRef sensed;     // SAR, infrared, depth, map, other band
  // Pixel of `sensed` -> pixel of `reference` (2x3 affine). Identity for pixel-aligned pairs.
  std::array<double, 6> sensedToReference{1, 0, 0, 0, 1, 0};
  // Real georeferencing of the reference window, when the source has one.
  std::optional<GeoTransform> geoTransform;
  std::string crs;
};

// Each returns an empty list when its folder is missing.
std::vector<AlignedPair> load3Mos(const std::string& dir);     // 24 grids x 10 pairs of 256^2, less corrupt files
std::vector<AlignedPair> loadS1S2(const std::string& dir);     // 1024^2 Sentinel-1/2 with corners
std::vector<AlignedPair> loadVsff(const std::string& dir);     // two 1000^2 pairs
std::vector<AlignedPair> loadSrif(const std::string& dir);     // four modalities, gt_N.txt affine
std::vector<AlignedPair> loadLandsat(const std::string& dir);  // ETM+ band pairs
std::vector<AlignedPair> loadAll(const std::string& sharedDataDir);

}  // namespace mmreg
