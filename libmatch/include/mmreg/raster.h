#pragma once
// Windowed access to a GDAL raster: a raster is never read whole.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mmreg/geometry.h"
#include "mmreg/image.h"

class GDALDataset;

namespace mmreg {

enum class GeorefKind { None, GeoTransform, Gcps, Rpc };

class GeoRaster {
 public:
  // Opens read-only. Throws mmreg::Error naming the path if it is missing or not a raster.
  // `nodata`, when given, replaces the file's nodata value and mask in every band (gdalwarp's
  // -srcnodata): for fill around a scene that the file does not declare.
  static GeoRaster open(const std::string& path, std::optional<double> nodata = std::nullopt);
  GeoRaster(GeoRaster&&) noexcept;
  GeoRaster& operator=(GeoRaster&&) noexcept;
  ~GeoRaster();

  const std::string& path() const { return path_; }
  int width() const;
  int height() const;
  int bandCount() const;
  GeorefKind georefKind() const;
  bool hasGeoTransform() const { return georefKind() == GeorefKind::GeoTransform; }
  GeoTransform geoTransform() const;  // identity-like (0,1,0,0,0,1) when there is none
  std::string crsWkt() const;         // empty when the raster has no CRS
  bool isComplex(int band) const;
  std::string dataTypeName(int band) const;
  // Ground size of one pixel in CRS units (geometric mean of the two axes), 1 when not georeferenced.
  double pixelSize() const;

  // Reads `band` (1-based) over `window`, resampled to outWidth x outHeight (averaging when
  // decimating, so overviews are used). Complex bands give amplitude. Nodata, mask and alpha
  // bands, NaN and pixels outside the raster are marked invalid.
  Image readWindow(int band, const PixelWindow& window, int outWidth, int outHeight) const;
  // The same for several bands at once: each block of the file is decoded once for all of them.
  std::vector<Image> readBands(const std::vector<int>& bands, const PixelWindow& window, int outWidth, int outHeight) const;

  // Throws mmreg::Error if `band` is out of range; `what` names the option for the message.
  void checkBand(int band, const char* what) const;

  // The dataset read: the file's, or a VRT over it that declares the nodata given to open().
  GDALDataset* handle() const { return ds_.get(); }
  // The nodata given to open(), if any.
  std::optional<double> nodataOverride() const { return nodata_; }

 private:
  struct Closer {
    void operator()(GDALDataset* ds) const;
  };
  GeoRaster(std::string path, GDALDataset* file, GDALDataset* view, std::optional<double> nodata);
  // Output rows [oy0, oy1) and columns [ox0, ox1) of `band`, read into `img` (readBands' strips).
  void readStrip(int band, const PixelWindow& window, double sx, double sy, int ox0, int ox1, int oy0, int oy1,
                 bool decimating, Image& img) const;
  // The same for a band of colour indices: their luminance through the colour table.
  void readPalettedStrip(int band, const PixelWindow& window, double sx, double sy, int ox0, int ox1, int oy0, int oy1,
                         bool decimating, Image& img) const;
  std::string path_;
  std::unique_ptr<GDALDataset, Closer> file_;  // the file; ds_ may read it through a VRT
  std::unique_ptr<GDALDataset, Closer> ds_;    // declared after file_, so closed first
  std::optional<double> nodata_;
};

// Whether the raster's geotransform turns or shears its grid (north-up grids do not).
bool isRotatedGrid(const GeoRaster& raster);

// Ground distance one pixel spans at the raster's centre, in metres (geometric mean of the two
// axes), measured on the CRS's ellipsoid: true metres whether the CRS is in degrees, feet or
// projected metres that a projection stretches (Mercator's). NaN when the raster has no
// geotransform or no CRS, or the CRS cannot be evaluated there.
double groundPixelSizeMetres(const GeoRaster& raster);

}  // namespace mmreg
