#include "rpc/dem_heights.h"

#include <gdal_alg.h>

#include <algorithm>
#include <cmath>

#include "mmreg/error.h"

namespace mmreg {

DemHeights::DemHeights(const std::string& path) : path_(path) {
  ds_.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds_) throw Error("cannot open the DEM '" + path + "' as a raster (" + CPLGetLastErrorMsg() + "); check the path (-dem)");
  if (ds_->GetGeoTransform(gt_) != CE_None || !GDALInvGeoTransform(gt_, inv_))
    throw Error("the DEM '" + path + "' has no geotransform; give a georeferenced DEM (gdalinfo shows its origin and pixel size)");
  if (ds_->GetRasterXSize() < 2 || ds_->GetRasterYSize() < 2) throw Error("the DEM '" + path + "' is smaller than 2 x 2 pixels");
  const OGRSpatialReference* crs = ds_->GetSpatialRef();
  if (!crs || crs->IsEmpty())
    throw Error("the DEM '" + path + "' has no CRS, so its heights cannot be placed; assign it with gdal_edit.py -a_srs EPSG:n");
  OGRSpatialReference wgs84;
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference dem(*crs);
  dem.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  fromLonLat_.reset(OGRCreateCoordinateTransformation(&wgs84, &dem));
  if (!fromLonLat_) throw Error("cannot transform longitude/latitude into the CRS of the DEM '" + path + "'; check its CRS with gdalinfo");
}

DemHeights::~DemHeights() = default;

double DemHeights::at(double lon, double lat) const {
  double x = lon, y = lat;
  if (!fromLonLat_->Transform(1, &x, &y)) return NAN;
  // Pixel centres are at half-integers: interpolate between the four around (x, y).
  const double px = inv_[0] + inv_[1] * x + inv_[2] * y - 0.5, py = inv_[3] + inv_[4] * x + inv_[5] * y - 0.5;
  const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
  const int w = ds_->GetRasterXSize(), h = ds_->GetRasterYSize();
  if (!(px >= -0.5 && py >= -0.5 && px <= w - 0.5 && py <= h - 0.5)) return NAN;
  const int cx = std::clamp(x0, 0, w - 2), cy = std::clamp(y0, 0, h - 2);
  double v[4] = {0, 0, 0, 0};
  GDALRasterBand* band = ds_->GetRasterBand(1);
  if (band->RasterIO(GF_Read, cx, cy, 2, 2, v, 2, 2, GDT_Float64, 0, 0) != CE_None) return NAN;
  int hasNodata = 0;
  const double nodata = band->GetNoDataValue(&hasNodata);
  for (double z : v)
    if (!std::isfinite(z) || (hasNodata && z == nodata)) return NAN;
  const double fx = std::clamp(px - cx, 0.0, 1.0), fy = std::clamp(py - cy, 0.0, 1.0);
  return (1 - fy) * ((1 - fx) * v[0] + fx * v[1]) + fy * ((1 - fx) * v[2] + fx * v[3]);
}

}  // namespace mmreg
