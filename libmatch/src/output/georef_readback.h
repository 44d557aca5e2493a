#pragma once
// Reads a written raster back and checks that its format kept the georeferencing mmreg wrote.
// Some GDAL drivers drop GCPs, a CRS or even the geotransform without an error (MFF, XYZ, RST,
// netCDF, MBTiles ...), which would leave an output that does not carry the registration.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mmreg/raster.h"

namespace mmreg {

struct WrittenGeoref {
  std::optional<GeoTransform> geoTransform;     // the grid written; unset, without GCPs: any grid (gdalwarp chose it)
  std::vector<std::pair<Point2, Point2>> gcps;  // pixel -> map, when the model was written as GCPs
  std::string crsWkt;                           // "" when there is no CRS to keep
  double pixelMapUnits = 1;                     // a reference pixel in map units
};

// Throws Error naming the format and what it lost, or that the file cannot be read back.
void checkGeorefKept(const std::string& path, const std::string& format, const WrittenGeoref& written);
// The same for -rpc_refine: the file's RPCs must place ground points where the refined ones do
// (XYZ, RST, netCDF and Zarr drop them). `rpc`: the refined RPC metadata, KEY=VALUE.
void checkRpcKept(const std::string& path, const std::string& format, const std::vector<std::string>& rpc);

}  // namespace mmreg
