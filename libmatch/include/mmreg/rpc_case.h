#pragma once
// A constructed RPC case with known truth, from the Landsat scene and its DEM: the sensed image
// is the SWIR band seen by an oblique pushbroom-like camera over the real terrain, its RPCs fitted
// to that camera, then biased in image space as delivered RPCs are.
#include <string>

namespace mmreg {

struct RpcCaseOptions {
  double biasPixel = 25, biasLine = -18;  // image-space bias of the delivered RPCs, pixels
  double biasRotationDeg = 0.4;           // and a small rotation about the image centre
  double parallaxPxPerMetre = 0.05;       // obliquity: image shift per metre of height (sample direction)
  // The DEM's heights times this (written beside the case): the real terrain's shape, with
  // relief enough to matter at 28.5 m pixels.
  double reliefExaggeration = 1;
  int size = 320;                         // sensed image side, pixels
};

struct RpcCase {
  std::string reference;  // Landsat red band, UTM 25S GeoTIFF
  std::string sensed;     // SWIR band in the camera geometry, with the biased RPCs
  std::string truth;      // the same pixels with the true RPCs
  std::string dem;        // the DEM the camera saw (the shared data's, its heights times reliefExaggeration)
  double fitErrorPx = 0;  // how closely the RPCs reproduce the camera
};

// Writes the case into `dir` from `landsatDir` (L7_ETMs.tif, olinda_dem_utm25s.tif). Throws
// mmreg::Error when the data is missing.
RpcCase makeRpcCase(const std::string& landsatDir, const std::string& dir, const RpcCaseOptions& options = {});

}  // namespace mmreg
