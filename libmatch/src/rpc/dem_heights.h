#pragma once
// Terrain heights from a DEM in any CRS, looked up at WGS84 longitude/latitude (what RPCs use).
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <memory>
#include <string>

namespace mmreg {

class DemHeights {
 public:
  // Throws mmreg::Error when the DEM cannot be opened, has no geotransform or has no CRS.
  explicit DemHeights(const std::string& path);
  ~DemHeights();
  // Bilinear height at (lon, lat); NaN outside the DEM or on no-data.
  double at(double lon, double lat) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  GDALDatasetUniquePtr ds_;
  double gt_[6]{}, inv_[6]{};
  std::unique_ptr<OGRCoordinateTransformation> fromLonLat_;
};

}  // namespace mmreg
