#include "mmreg/rpc_case.h"

#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "mmreg/error.h"
#include "rpc/dem_heights.h"
#include "rpc/rpc_model.h"

namespace mmreg {
namespace {

constexpr double kGsd = 28.5, kRotationDeg = 4, kMeanHeight = 20;

// The truth camera: UTM (E, N) and height -> GDAL pixel/line. Rotated 4 degrees against the
// map, 28.5 m pixels, and an across-track view: the sample shifts with height.
struct Camera {
  double ec, nc;  // ground under the image centre
  int size;
  double parallax;
  Point2 project(double e, double n, double h) const {
    const double t = kRotationDeg * M_PI / 180, u = (e - ec) / kGsd, v = (nc - n) / kGsd;
    return {size / 2.0 + std::cos(t) * u - std::sin(t) * v + parallax * (h - kMeanHeight),
            size / 2.0 + std::sin(t) * u + std::cos(t) * v};
  }
  // The ground point seen at (s, l) when the terrain there is at height h.
  void ground(double s, double l, double h, double* e, double* n) const {
    const double t = kRotationDeg * M_PI / 180, a = s - size / 2.0 - parallax * (h - kMeanHeight), b = l - size / 2.0;
    *e = ec + kGsd * (std::cos(t) * a + std::sin(t) * b);
    *n = nc - kGsd * (-std::sin(t) * a + std::cos(t) * b);
  }
};

std::unique_ptr<OGRCoordinateTransformation> transform(const OGRSpatialReference& from, const OGRSpatialReference& to) {
  auto t = std::unique_ptr<OGRCoordinateTransformation>(OGRCreateCoordinateTransformation(&from, &to));
  if (!t) throw Error("rpc case: cannot transform between UTM and longitude/latitude");
  return t;
}

// An RPC model, offsets and scales over the box, numerators fitted to `image` of `ground`.
RpcModel fitModel(const std::vector<GroundPoint>& ground, const std::vector<Point2>& image, double lon0, double lon1, double lat0,
                  double lat1, int size, double* error) {
  GDALRPCInfoV2 info{};
  info.dfLONG_OFF = (lon0 + lon1) / 2, info.dfLONG_SCALE = (lon1 - lon0) / 2;
  info.dfLAT_OFF = (lat0 + lat1) / 2, info.dfLAT_SCALE = (lat1 - lat0) / 2;
  info.dfHEIGHT_OFF = kMeanHeight, info.dfHEIGHT_SCALE = 100;
  info.dfSAMP_OFF = info.dfLINE_OFF = size / 2.0;
  info.dfSAMP_SCALE = info.dfLINE_SCALE = size / 2.0;
  info.adfLINE_DEN_COEFF[0] = info.adfSAMP_DEN_COEFF[0] = 1;
  info.dfMIN_LONG = lon0, info.dfMAX_LONG = lon1, info.dfMIN_LAT = lat0, info.dfMAX_LAT = lat1;
  return RpcModel(info).refitted(ground, image, error);
}

void writeWithRpc(GDALDataset& pixels, const std::string& path, const RpcModel& rpc) {
  GDALDatasetUniquePtr out(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(path.c_str(), &pixels, FALSE, nullptr, nullptr, nullptr));
  if (!out) throw Error("rpc case: cannot write '" + path + "'");
  CPLStringList md;
  for (const auto& kv : rpc.metadata()) md.AddString(kv.c_str());
  out->SetMetadata(md.List(), "RPC");
}

}  // namespace

RpcCase makeRpcCase(const std::string& landsatDir, const std::string& dir, const RpcCaseOptions& o) {
  GDALAllRegister();
  RpcCase c;
  c.dem = dir + "/dem.tif";
  {
    const std::string given = landsatDir + "/olinda_dem_utm25s.tif";
    GDALDatasetUniquePtr src(GDALDataset::Open(given.c_str(), GDAL_OF_RASTER));
    if (!src) throw Error("rpc case: cannot open '" + given + "'");
    GDALDatasetUniquePtr d(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(c.dem.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
    if (!d) throw Error("rpc case: cannot write '" + c.dem + "'");
    const int w = d->GetRasterXSize(), h = d->GetRasterYSize();
    std::vector<float> z(static_cast<size_t>(w) * h);
    auto* band = d->GetRasterBand(1);
    if (band->RasterIO(GF_Read, 0, 0, w, h, z.data(), w, h, GDT_Float32, 0, 0) != CE_None) throw Error("rpc case: cannot read the DEM");
    for (auto& v : z) v = static_cast<float>(v * o.reliefExaggeration);
    if (band->RasterIO(GF_Write, 0, 0, w, h, z.data(), w, h, GDT_Float32, 0, 0) != CE_None) throw Error("rpc case: cannot write the DEM");
  }
  const std::string scene = landsatDir + "/L7_ETMs.tif";
  GDALDatasetUniquePtr l7(GDALDataset::Open(scene.c_str(), GDAL_OF_RASTER));
  if (!l7) throw Error("rpc case: cannot open '" + scene + "'");
  // The reference: the red band (3), as it is.
  c.reference = dir + "/reference.tif";
  {
    CPLStringList args;
    for (const char* a : {"-b", "3", "-of", "GTiff"}) args.AddString(a);
    GDALTranslateOptions* to = GDALTranslateOptionsNew(args.List(), nullptr);
    GDALDatasetH ref = GDALTranslate(c.reference.c_str(), GDALDataset::ToHandle(l7.get()), to, nullptr);
    GDALTranslateOptionsFree(to);
    if (!ref) throw Error("rpc case: cannot write the reference");
    GDALClose(ref);
  }
  double gt[6];
  l7->GetGeoTransform(gt);
  const Camera cam{gt[0] + gt[1] * l7->GetRasterXSize() / 2, gt[3] + gt[5] * l7->GetRasterYSize() / 2, o.size, o.parallaxPxPerMetre};
  OGRSpatialReference utm(*l7->GetSpatialRef()), wgs84;
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetWellKnownGeogCS("WGS84");
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const auto toLonLat = transform(utm, wgs84), toUtm = transform(wgs84, utm);
  const DemHeights dem(c.dem);

  // RPCs of the camera: a ground grid over the footprint (with margin) at heights -80..120 m.
  const double half = o.size * kGsd * 0.75;
  double lon0 = 1e9, lon1 = -1e9, lat0 = 1e9, lat1 = -1e9;
  for (double de : {-half, half})
    for (double dn : {-half, half}) {
      double x = cam.ec + de, y = cam.nc + dn;
      toLonLat->Transform(1, &x, &y);
      lon0 = std::min(lon0, x), lon1 = std::max(lon1, x), lat0 = std::min(lat0, y), lat1 = std::max(lat1, y);
    }
  std::vector<GroundPoint> ground;
  std::vector<Point2> truth, biased;
  const double r = o.biasRotationDeg * M_PI / 180;
  for (int k = 0; k < 5; ++k)
    for (int j = 0; j < 21; ++j)
      for (int i = 0; i < 21; ++i) {
        const GroundPoint g{lon0 + (lon1 - lon0) * i / 20, lat0 + (lat1 - lat0) * j / 20, -80 + 50.0 * k};
        double e = g.lon, n = g.lat;
        toUtm->Transform(1, &e, &n);
        const Point2 p = cam.project(e, n, g.height);
        ground.push_back(g);
        truth.push_back(p);
        const double x = p.x - o.size / 2.0, y = p.y - o.size / 2.0;
        biased.push_back({o.size / 2.0 + std::cos(r) * x - std::sin(r) * y + o.biasPixel,
                          o.size / 2.0 + std::sin(r) * x + std::cos(r) * y + o.biasLine});
      }
  double biasError = 0;
  const RpcModel truthRpc = fitModel(ground, truth, lon0, lon1, lat0, lat1, o.size, &c.fitErrorPx);
  const RpcModel biasedRpc = fitModel(ground, biased, lon0, lon1, lat0, lat1, o.size, &biasError);
  c.fitErrorPx = std::max(c.fitErrorPx, biasError);

  // The sensed pixels: SWIR (band 5) where the camera sees the terrain, the height found by
  // iterating camera -> ground -> DEM.
  const int w = l7->GetRasterXSize(), h = l7->GetRasterYSize();
  std::vector<float> swir(static_cast<size_t>(w) * h);
  if (l7->GetRasterBand(5)->RasterIO(GF_Read, 0, 0, w, h, swir.data(), w, h, GDT_Float32, 0, 0) != CE_None)
    throw Error("rpc case: cannot read band 5 of '" + scene + "'");
  auto memDrv = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDatasetUniquePtr pixels(memDrv->Create("", o.size, o.size, 1, GDT_Byte, nullptr));
  std::vector<GByte> out(static_cast<size_t>(o.size) * o.size, 0);
  for (int l = 0; l < o.size; ++l)
    for (int s = 0; s < o.size; ++s) {
      double e = 0, n = 0, height = kMeanHeight;
      for (int it = 0; it < 8; ++it) {
        cam.ground(s + 0.5, l + 0.5, height, &e, &n);
        double lon = e, lat = n;
        toLonLat->Transform(1, &lon, &lat);
        const double z = dem.at(lon, lat);
        if (!std::isfinite(z)) break;
        height = z;
      }
      const double px = (e - gt[0]) / gt[1] - 0.5, py = (n - gt[3]) / gt[5] - 0.5;
      const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) continue;
      const double fx = px - x0, fy = py - y0;
      auto at = [&](int x, int y) { return swir[static_cast<size_t>(y) * w + x]; };
      const double v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      out[static_cast<size_t>(l) * o.size + s] = static_cast<GByte>(std::clamp(v, 1.0, 255.0));  // 0 is no-data
    }
  if (pixels->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, o.size, o.size, out.data(), o.size, o.size, GDT_Byte, 0, 0) != CE_None)
    throw Error("rpc case: cannot fill the sensed image");
  pixels->GetRasterBand(1)->SetNoDataValue(0);
  c.sensed = dir + "/sensed_rpc.tif";
  c.truth = dir + "/truth_rpc.tif";
  writeWithRpc(*pixels, c.sensed, biasedRpc);
  writeWithRpc(*pixels, c.truth, truthRpc);
  return c;
}

}  // namespace mmreg
