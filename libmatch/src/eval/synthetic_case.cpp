#include "mmreg/synthetic_case.h"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "mmreg/error.h"

namespace mmreg {
namespace {

using Affine = std::array<double, 6>;  // x' = a x + b y + c, y' = d x + e y + f

Affine compose(const Affine& outer, const Affine& inner) {
  return {outer[0] * inner[0] + outer[1] * inner[3], outer[0] * inner[1] + outer[1] * inner[4],
          outer[0] * inner[2] + outer[1] * inner[5] + outer[2], outer[3] * inner[0] + outer[4] * inner[3],
          outer[3] * inner[1] + outer[4] * inner[4], outer[3] * inner[2] + outer[4] * inner[5] + outer[5]};
}

Affine invert(const Affine& m) {
  const double det = m[0] * m[4] - m[1] * m[3];
  const double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  return {a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
}

Affine misregistrationAffine(const Misregistration& m, Point2 c) {
  const double t = m.rotationDeg * M_PI / 180, cs = std::cos(t) * m.scale, sn = std::sin(t) * m.scale;
  // scale * R * [[1, shear], [0, 1]]
  const double a = cs, b = cs * m.shear - sn, d = sn, e = sn * m.shear + cs;
  return {a, b, c.x - a * c.x - b * c.y + m.dx, d, e, c.y - d * c.x - e * c.y + m.dy};
}

struct Raster {
  int width = 0, height = 0;
  GDALDataType type = GDT_Byte;
  std::vector<cv::Mat> bands;  // CV_32F
};

Raster readWindow(const ImageWindowRef& ref) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(ref.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw Error("cannot open '" + ref.path + "'; is ../shared/data in place?");
  PixelWindow w = ref.window;
  if (w.width == 0) w = {0, 0, ds->GetRasterXSize(), ds->GetRasterYSize()};
  std::vector<int> bands = ref.bands;
  if (bands.empty())
    for (int b = 1; b <= std::min(3, ds->GetRasterCount()); ++b) bands.push_back(b);
  Raster r{w.width, w.height, ds->GetRasterBand(bands[0])->GetRasterDataType(), {}};
  for (int b : bands) {
    cv::Mat m(w.height, w.width, CV_32F);
    if (ds->GetRasterBand(b)->RasterIO(GF_Read, w.x, w.y, w.width, w.height, m.data, w.width, w.height, GDT_Float32, 0, 0) != CE_None)
      throw Error("cannot read '" + ref.path + "'");
    r.bands.push_back(m);
  }
  return r;
}

void writeTiff(const std::string& path, const Raster& r, const GeoTransform* gt, const std::string& crs) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* co[] = {"COMPRESS=DEFLATE", "PREDICTOR=2", nullptr};
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), r.width, r.height, static_cast<int>(r.bands.size()), r.type,
                                      const_cast<char**>(co)));
  if (!ds) throw Error("cannot create '" + path + "'");
  for (size_t b = 0; b < r.bands.size(); ++b)
    if (ds->GetRasterBand(static_cast<int>(b) + 1)->RasterIO(GF_Write, 0, 0, r.width, r.height, r.bands[b].data, r.width,
                                                            r.height, GDT_Float32, 0, 0) != CE_None)
      throw Error("cannot write '" + path + "'");
  if (r.bands.size() == 3)
    for (int b = 0; b < 3; ++b)
      ds->GetRasterBand(b + 1)->SetColorInterpretation(static_cast<GDALColorInterp>(GCI_RedBand + b));
  if (gt) {
    GeoTransform g = *gt;
    ds->SetGeoTransform(g.data());
    OGRSpatialReference srs;
    if (!crs.empty() && srs.SetFromUserInput(crs.c_str()) == OGRERR_NONE) ds->SetSpatialRef(&srs);
  }
}

}  // namespace

Point2 Misregistration::apply(Point2 p, Point2 c) const {
  const Affine a = misregistrationAffine(*this, c);
  return {a[0] * p.x + a[1] * p.y + a[2], a[3] * p.x + a[4] * p.y + a[5]};
}

Point2 SyntheticCase::truthOf(Point2 p) const {
  return {truth[0] * p.x + truth[1] * p.y + truth[2], truth[3] * p.x + truth[4] * p.y + truth[5]};
}

SyntheticCase buildCase(const AlignedPair& pair, const Misregistration& m, MisregistrationMode mode,
                        const std::string& dir, const std::string& stem) {
  const Raster ref = readWindow(pair.reference);
  Raster sen = readWindow(pair.sensed);
  SyntheticCase c;
  c.reference = dir + "/" + stem + "_ref.tif";
  c.sensed = dir + "/" + stem + "_sensed.tif";
  c.referenceGeoTransform = pair.geoTransform ? *pair.geoTransform : GeoTransform{500000, 10, 0, 4000000, 0, -10};
  const std::string crs = pair.geoTransform ? pair.crs : std::string("EPSG:32611");
  const Affine s2r = pair.sensedToReference;
  writeTiff(c.reference, ref, &c.referenceGeoTransform, crs);
  c.sensedWidth = sen.width;
  c.sensedHeight = sen.height;
  if (mode == MisregistrationMode::Georeferencing) {
    // The sensed georeferencing claims sensed pixel p is at reference pixel A(S2R(p)).
    const Affine claimed = compose(misregistrationAffine(m, {ref.width / 2.0, ref.height / 2.0}), s2r);
    const GeoTransform& r = c.referenceGeoTransform;
    const GeoTransform gt{r[0] + r[1] * claimed[2] + r[2] * claimed[5], r[1] * claimed[0] + r[2] * claimed[3],
                          r[1] * claimed[1] + r[2] * claimed[4], r[3] + r[4] * claimed[2] + r[5] * claimed[5],
                          r[4] * claimed[0] + r[5] * claimed[3], r[4] * claimed[1] + r[5] * claimed[4]};
    writeTiff(c.sensed, sen, &gt, crs);
    c.truth = s2r;
  } else {
    // Content at sensed pixel p moves to A(p); OpenCV indexes pixel centres, we use corners.
    const Affine a = misregistrationAffine(m, {sen.width / 2.0, sen.height / 2.0});
    const Affine shift{1, 0, 0.5, 0, 1, 0.5}, unshift{1, 0, -0.5, 0, 1, -0.5};
    const Affine acv = compose(unshift, compose(a, shift));
    const cv::Mat M = (cv::Mat_<double>(2, 3) << acv[0], acv[1], acv[2], acv[3], acv[4], acv[5]);
    for (auto& b : sen.bands) cv::warpAffine(b.clone(), b, M, b.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    writeTiff(c.sensed, sen, nullptr, "");
    c.truth = compose(s2r, invert(a));
  }
  return c;
}

}  // namespace mmreg
