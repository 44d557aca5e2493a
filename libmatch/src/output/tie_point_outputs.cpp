#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>

#include "mmreg/error.h"
#include "mmreg/outputs.h"

namespace mmreg {

const std::vector<TiePointField>& tiePointFields() {
  static const std::vector<TiePointField> fields{
      {"tile", true},        {"ref_x", false},  {"ref_y", false},       {"ref_col", false}, {"ref_row", false},
      {"sensed_col", false}, {"sensed_row", false}, {"score", false},   {"inlier", true},   {"check", true},
      {"dx_px", false},      {"dy_px", false},  {"residual_px", false}, {"residual_m", false}};
  return fields;
}

std::vector<double> tiePointValues(const GeoRaster& ref, double refPixelMetres, const TiePoint& p, const FitResult& fit, size_t i) {
  const Point2 map = applyGeoTransform(ref.geoTransform(), p.ref);
  const double r = std::hypot(fit.residual[i].x, fit.residual[i].y);
  return {static_cast<double>(p.tile), map.x, map.y, p.ref.x, p.ref.y, p.sensed.x, p.sensed.y, p.score,
          static_cast<double>(fit.inlier[i]), static_cast<double>(fit.check[i]), fit.residual[i].x, fit.residual[i].y,
          r, r * refPixelMetres};
}

void writeTiePoints(const GeoRaster& ref, const std::vector<TiePoint>& pts, const FitResult& fit, const std::string& path) {
  const std::string format = tiePointFormatFor(path);
  GDALDriver* drv = format.empty() ? nullptr : GetGDALDriverManager()->GetDriverByName(format.c_str());
  if (!drv) throw Error("no GDAL vector driver writes '" + path + "'; end the tie-point file in .gpkg, .shp, .geojson, .csv or .fgb");
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw Error("cannot create the " + format + " file '" + path + "': " + CPLGetLastErrorMsg());
  OGRSpatialReference srs;
  const std::string wkt = ref.crsWkt();
  if (!wkt.empty()) srs.importFromWkt(wkt.c_str());
  // GDAL's CSV writer quotes integers ("1") unless told to quote only what needs it.
  CPLStringList layerOptions;
  if (format == "CSV") layerOptions.AddString("STRING_QUOTING=IF_NEEDED");
  // GeoJSON names a CRS only by its EPSG code; without one, readers take the coordinates as
  // WGS 84 degrees and put the points nowhere near. Such points are written as RFC 7946 GeoJSON,
  // in WGS 84 (their ref_x and ref_y stay in the reference CRS).
  if (format == "GeoJSON" && !wkt.empty()) {
    if (!srs.GetAuthorityName(nullptr)) srs.AutoIdentifyEPSG();
    const char* authority = srs.GetAuthorityName(nullptr);
    if (!authority || !EQUAL(authority, "EPSG")) layerOptions.AddString("RFC7946=YES");
  }
  OGRLayer* layer = ds->CreateLayer("tie_points", wkt.empty() ? nullptr : &srs, wkbPoint, layerOptions.List());
  if (!layer) throw Error("cannot create layer tie_points in '" + path + "': " + CPLGetLastErrorMsg());
  const auto& fields = tiePointFields();
  const bool dbf = format == "ESRI Shapefile";
  for (auto& f : fields) {
    // A .dbf holds names of 10 characters: residual_px is cut to residual_p here, as GDAL would
    // with a warning to the user about a name they never chose.
    OGRFieldDefn def(dbf ? std::string(f.name).substr(0, 10).c_str() : f.name, f.integer ? OFTInteger : OFTReal);
    // A Shapefile's default real field (24 wide, 15 decimals) cannot hold map coordinates of 8
    // integer digits (World Mercator, State Plane feet): shapelib warned once per tie point.
    // 9 decimals keep a tenth of a millimetre in degrees; other formats ignore the width.
    if (!f.integer) {
      def.SetWidth(24);
      def.SetPrecision(9);
    }
    if (layer->CreateField(&def) != OGRERR_NONE)
      throw Error("the " + format + " format cannot hold the tie points' field '" + f.name + "' (" + CPLGetLastErrorMsg() +
                  "); end the tie-point file in .gpkg, .shp, .geojson, .csv or .fgb");
  }
  const double metres = groundPixelSizeMetres(ref);  // NaN without a CRS: residual_m is null
  if (layer->StartTransaction() != OGRERR_NONE) throw Error("cannot start a transaction in '" + path + "'");
  for (size_t i = 0; i < pts.size(); ++i) {
    const auto values = tiePointValues(ref, metres, pts[i], fit, i);
    OGRFeature f(layer->GetLayerDefn());
    for (size_t k = 0; k < fields.size(); ++k)
      if (fields[k].integer) f.SetField(static_cast<int>(k), static_cast<int>(values[k]));
      else if (std::isfinite(values[k])) f.SetField(static_cast<int>(k), values[k]);
      else f.SetFieldNull(static_cast<int>(k));
    OGRPoint p(values[1], values[2]);
    f.SetGeometry(&p);
    if (layer->CreateFeature(&f) != OGRERR_NONE) throw Error("cannot write tie point to '" + path + "'");
  }
  if (layer->CommitTransaction() != OGRERR_NONE) throw Error("cannot commit tie points to '" + path + "'");
}

void writePointsFile(const GeoRaster& ref, const GeoRaster& sen, const std::vector<TiePoint>& pts, const FitResult& fit,
                     const std::string& path) {
  std::ofstream out(path);
  if (!out) throw Error("cannot write '" + path + "'; check the folder is writable");
  const std::string wkt = ref.crsWkt();
  if (!wkt.empty()) out << "#CRS: " << wkt << "\n";
  out << "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual\n";
  out << std::setprecision(15);
  const GeoTransform rgt = ref.geoTransform();
  const bool senGeo = sen.hasGeoTransform();
  const GeoTransform sgt = sen.geoTransform();
  const double pix = ref.pixelSize();
  for (size_t i = 0; i < pts.size(); ++i) {
    if (!fit.inlier[i]) continue;  // the Georeferencer gets the points the model trusts
    const Point2 map = applyGeoTransform(rgt, pts[i].ref);
    // Source coordinates as the Georeferencer shows the raster: its own georeferencing if it
    // has one, else pixel column and negative row.
    const Point2 src = senGeo ? applyGeoTransform(sgt, pts[i].sensed) : Point2{pts[i].sensed.x, -pts[i].sensed.y};
    const double dx = fit.residual[i].x * pix, dy = fit.residual[i].y * pix;
    out << map.x << ',' << map.y << ',' << src.x << ',' << src.y << ",1," << dx << ',' << dy << ','
        << std::hypot(dx, dy) << "\n";
  }
  if (!out.flush()) throw Error("writing '" + path + "' failed; check free disk space");
}

}  // namespace mmreg
