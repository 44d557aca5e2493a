#pragma once
// Writers for everything the job produces. All of them write to the path they are given;
// OutputTransaction hands out temporary paths and renames them together on commit.
#include <string>
#include <utility>
#include <vector>

#include "mmreg/coregister.h"
#include "mmreg/raster.h"

namespace mmreg {

// Files beside `path` that GDAL reads as part of a file there although a new one does not write
// them: for a `raster`, PAM metadata (.aux.xml), an external mask and overviews, and world files,
// its georeferencing when it has no geotransform of its own (GCPs); for a Shapefile, its
// spatial indexes. Left beside a new output, they would describe the old file: -overwrite
// removes them, and without it they stop the run.
struct Companion {
  std::string path;
  const char* role;  // "its georeferencing", "its spatial index" ...
};
std::vector<Companion> staleCompanions(const std::string& path, bool raster);

class OutputTransaction {
 public:
  OutputTransaction() = default;
  OutputTransaction(const OutputTransaction&) = delete;
  OutputTransaction& operator=(const OutputTransaction&) = delete;
  ~OutputTransaction();  // removes every temporary file unless committed
  // Returns the temporary path to write instead of `finalPath` (same folder, same extension,
  // a name no longer than the file system allows). A `raster`'s staleCompanions go on commit.
  std::string stage(const std::string& finalPath, bool raster = false);
  // A file that no output may replace: a file of the input `input` (itself, its header or mask).
  void protect(const std::string& path, const std::string& input);
  // Moves every staged file, with every file its driver wrote beside it (an ENVI or EHdr
  // header, a world file, PAM metadata), to its final name, all or nothing: on a failure, files
  // already moved are taken back and replaced outputs restored, and Error is thrown.
  void commit(bool overwrite);

 private:
  struct Staged {
    std::string temporary, final;
    std::vector<Companion> stale;  // staleCompanions of `final`
  };
  std::vector<Staged> files_;
  std::vector<std::pair<std::string, std::string>> protected_;  // canonical path, the input it belongs to
  bool committed_ = false;
};

// The absolute path with links resolved (of the folder, for a file that does not exist yet).
std::string canonicalPath(const std::string& path);


// Throws Error when the output format cannot hold the output raster's pixels (the sensed
// raster's type and bands, and an alpha band), or refuses its creation options for them: found
// before the run by writing a small raster in memory, rather than after the matching (or, for
// a type the format converts with a mere warning, not at all). VRT outputs hold anything.
void checkOutputCanHoldThePixels(const GeoRaster& sensed, const OutputOptions& options);
// The sensed raster, not resampled, with a geotransform (affine models) or GCPs attached.
void writeGeorefOnly(const GeoRaster& reference, const GeoRaster& sensed, const Transform2D& forward,
                     const OutputOptions& options, const std::string& path, const ProgressSpan& progress);
// The sensed raster resampled by GDAL's warper onto the reference grid or its own grid.
void writeWarped(const GeoRaster& reference, const GeoRaster& sensed, const Transform2D& forward,
                 const OutputOptions& options, const std::string& path, const ProgressSpan& progress);
// The sensed raster, pixels unchanged, with the refined RPCs as its "RPC" metadata (GeoTIFF
// RPC tags, or what the format's driver writes), for gdalwarp -rpc -to RPC_DEM=...
void writeRefinedRpc(const GeoRaster& sensed, const RpcRefinement& refinement, const OutputOptions& options, const std::string& path,
                     const ProgressSpan& progress);
// The attribute table of a tie-point layer, shared by the GeoPackage writer and the QGIS sink:
// tile, ref_x, ref_y, ref_col, ref_row, sensed_col, sensed_row, score, inlier, check, dx_px,
// dy_px, residual_px, residual_m. The point geometry is (ref_x, ref_y) in the reference CRS.
struct TiePointField {
  const char* name;
  bool integer;
};
const std::vector<TiePointField>& tiePointFields();
// referencePixelMetres: groundPixelSizeMetres(reference), for residual_m (NaN without a CRS).
std::vector<double> tiePointValues(const GeoRaster& reference, double referencePixelMetres, const TiePoint& point, const FitResult& fit,
                                   size_t index);

// The GDAL vector driver that writes `path`, chosen by its extension as ogr2ogr users expect
// (.gpkg GeoPackage, .shp Shapefile, .geojson, .csv, .fgb, .kml ...); "" when none does.
std::string tiePointFormatFor(const std::string& path);
// The GDAL raster driver that writes `path`, by its extension as gdal_translate chooses it
// without -of (.tif GTiff, .vrt VRT, .png PNG, .img HFA ...; GTiff without an extension).
// Throws Error when no raster driver writes that extension.
std::string rasterFormatFor(const std::string& path);
// The table a GeoPackage raster output is written to: -co RASTER_TABLE, else the output's
// base name (GDAL would name it after the temporary file).
std::string geoPackageRasterTable(const OutputOptions& out);
// Point layer "tie_points" with the fields above, in tiePointFormatFor(path).
void writeTiePoints(const GeoRaster& reference, const std::vector<TiePoint>& points, const FitResult& fit,
                    const std::string& path);
// QGIS Georeferencer .points file.
void writePointsFile(const GeoRaster& reference, const GeoRaster& sensed, const std::vector<TiePoint>& points,
                     const FitResult& fit, const std::string& path);
void writeReportJson(const CoregisterOptions& options, const CoregisterResult& result, const std::string& path);
// The report of a run that ended in an error before any model could be judged (too few tie
// points, an unreadable file): the job, a "failed" verdict whose one reason is the error, versions.
void writeFailureReportJson(const CoregisterOptions& options, const std::string& reason, const std::string& path);
// Self-contained HTML: overlay checkerboards (whole reference and two zoomed tiles), tie points
// coloured by residual, the check-point error histogram, model, verdict, tiles, stage times.
void writeReportHtml(const GeoRaster& reference, const GeoRaster& sensed, const CoregisterOptions& options,
                     const CoregisterResult& result, const std::string& path);

// GCPs or a geotransform that express `forward` composed with the reference geotransform,
// as GDAL's own transformers will read them (shared by the georef-only and warped outputs).
struct FittedGeoref {
  bool hasGeoTransform = false;
  GeoTransform geoTransform{};
  std::vector<std::pair<Point2, Point2>> gcps;  // sensed pixel -> reference map
  int polynomialOrder = 0;  // for GCPs: 1..3, or 0 for thin plate spline
};
FittedGeoref describeFit(const GeoRaster& reference, const GeoRaster& sensed, const Transform2D& forward);

}  // namespace mmreg
