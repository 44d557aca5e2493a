#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>

#include "mmreg/error.h"
#include "mmreg/outputs.h"

namespace mmreg {

void writeTiePointsGpkg(const GeoRaster& ref, const GeoRaster& sen, const std::vector<TiePoint>& pts,
                        const FitResult& fit, const std::string& path) {
  (void)sen;
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  if (!drv) throw Error("GDAL has no GeoPackage driver; install a GDAL build with SQLite support");
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw Error("cannot create GeoPackage '" + path + "': " + CPLGetLastErrorMsg());
  OGRSpatialReference srs;
  const std::string wkt = ref.crsWkt();
  if (!wkt.empty()) srs.importFromWkt(wkt.c_str());
  OGRLayer* layer = ds->CreateLayer("tie_points", wkt.empty() ? nullptr : &srs, wkbPoint, nullptr);
  if (!layer) throw Error("cannot create layer tie_points in '" + path + "': " + CPLGetLastErrorMsg());
  const struct {
    const char* name;
    OGRFieldType type;
  } fields[] = {{"tile", OFTInteger},       {"ref_x", OFTReal},       {"ref_y", OFTReal},      {"ref_col", OFTReal},
                {"ref_row", OFTReal},       {"sensed_col", OFTReal},  {"sensed_row", OFTReal}, {"score", OFTReal},
                {"inlier", OFTInteger},     {"check", OFTInteger},    {"dx_px", OFTReal},      {"dy_px", OFTReal},
                {"residual_px", OFTReal},   {"residual_m", OFTReal}};
  for (auto& f : fields) {
    OGRFieldDefn def(f.name, f.type);
    if (layer->CreateField(&def) != OGRERR_NONE) throw Error(std::string("cannot create field ") + f.name);
  }
  const GeoTransform gt = ref.geoTransform();
  const double pix = ref.pixelSize();
  if (layer->StartTransaction() != OGRERR_NONE) throw Error("cannot start a transaction in '" + path + "'");
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point2 map = applyGeoTransform(gt, pts[i].ref);
    OGRFeature f(layer->GetLayerDefn());
    const double r = std::hypot(fit.residual[i].x, fit.residual[i].y);
    f.SetField("tile", pts[i].tile);
    f.SetField("ref_x", map.x);
    f.SetField("ref_y", map.y);
    f.SetField("ref_col", pts[i].ref.x);
    f.SetField("ref_row", pts[i].ref.y);
    f.SetField("sensed_col", pts[i].sensed.x);
    f.SetField("sensed_row", pts[i].sensed.y);
    f.SetField("score", pts[i].score);
    f.SetField("inlier", static_cast<int>(fit.inlier[i]));
    f.SetField("check", static_cast<int>(fit.check[i]));
    f.SetField("dx_px", fit.residual[i].x);
    f.SetField("dy_px", fit.residual[i].y);
    f.SetField("residual_px", r);
    f.SetField("residual_m", r * pix);
    OGRPoint p(map.x, map.y);
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
