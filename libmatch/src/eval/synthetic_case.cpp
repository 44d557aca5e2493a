#include "mmreg/synthetic_case.h"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "mmreg/error.h"
#include "mmreg/homography.h"

namespace mmreg {
namespace {

using Affine = std::array<double, 6>;  // x' = a x + b y + c, y' = d x + e y + f

Homography toHomography(const Affine& a) { return {a[0], a[1], a[2], a[3], a[4], a[5], 0, 0, 1}; }

// The perspective part about centre c, q = p - c -> q / (1 + px q.x + py q.y) + c: it fixes c.
Homography perspectiveAbout(const Misregistration& m, Point2 c) {
  return multiply({1, 0, c.x, 0, 1, c.y, 0, 0, 1}, multiply({1, 0, 0, 0, 1, 0, m.px, m.py, 1}, {1, 0, -c.x, 0, 1, -c.y, 0, 0, 1}));
}

Affine compose(const Affine& outer, const Affine& inner) {
  return {outer[0] * inner[0] + outer[1] * inner[3], outer[0] * inner[1] + outer[1] * inner[4],
          outer[0] * inner[2] + outer[1] * inner[5] + outer[2], outer[3] * inner[0] + outer[4] * inner[3],
          outer[3] * inner[1] + outer[4] * inner[4], outer[3] * inner[2] + outer[4] * inner[5] + outer[5]};
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

// mask (CV_8U, optional): where the raster has data, written as GDAL's per-dataset mask band.
void writeTiff(const std::string& path, const Raster& r, const GeoTransform* gt, const std::string& crs,
               const cv::Mat& mask = cv::Mat()) {
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
  if (!mask.empty()) {
    // Inside the GeoTIFF: no .msk file beside it to outlive or contradict the raster.
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES");
    const CPLErr made = ds->CreateMaskBand(GMF_PER_DATASET);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nullptr);
    if (made != CE_None ||
        ds->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, 0, 0, r.width, r.height, mask.data, r.width, r.height, GDT_Byte, 0,
                                                      0) != CE_None)
      throw Error("cannot write the mask of '" + path + "'");
  }
  if (gt) {
    GeoTransform g = *gt;
    ds->SetGeoTransform(g.data());
    OGRSpatialReference srs;
    if (!crs.empty() && srs.SetFromUserInput(crs.c_str()) == OGRERR_NONE) ds->SetSpatialRef(&srs);
  }
}

}  // namespace

Point2 Misregistration::apply(Point2 p, Point2 c) const {
  return applyH(multiply(toHomography(misregistrationAffine(*this, c)), perspectiveAbout(*this, c)), p);
}

Point2 SyntheticCase::truthOf(Point2 p) const { return applyH(truth, p); }
Point2 SyntheticCase::truthInverseOf(Point2 p) const { return applyH(inverse(truth), p); }

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
  if (mode == MisregistrationMode::Georeferencing && (m.px != 0 || m.py != 0 || m.mirrored))
    throw Error("a perspective or mirrored misregistration needs MisregistrationMode::Pixels");
  if (mode == MisregistrationMode::Georeferencing) {
    // The sensed georeferencing claims sensed pixel p is at reference pixel A(S2R(p)).
    const Affine claimed = compose(misregistrationAffine(m, {ref.width / 2.0, ref.height / 2.0}), s2r);
    const GeoTransform& r = c.referenceGeoTransform;
    const GeoTransform gt{r[0] + r[1] * claimed[2] + r[2] * claimed[5], r[1] * claimed[0] + r[2] * claimed[3],
                          r[1] * claimed[1] + r[2] * claimed[4], r[3] + r[4] * claimed[2] + r[5] * claimed[5],
                          r[4] * claimed[0] + r[5] * claimed[3], r[4] * claimed[1] + r[5] * claimed[4]};
    writeTiff(c.sensed, sen, &gt, crs);
    c.truth = toHomography(s2r);
  } else {
    // Content at sensed pixel p moves to H(p); OpenCV indexes pixel centres, we use corners.
    const Point2 centre{sen.width / 2.0, sen.height / 2.0};
    const Homography h = multiply(toHomography(misregistrationAffine(m, centre)), perspectiveAbout(m, centre));
    const Homography hcv = multiply({1, 0, -0.5, 0, 1, -0.5, 0, 0, 1}, multiply(h, {1, 0, 0.5, 0, 1, 0.5, 0, 0, 1}));
    const cv::Mat M(3, 3, CV_64F, const_cast<double*>(hcv.data()));
    for (auto& b : sen.bands) cv::warpPerspective(b.clone(), b, M, b.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    // Pixels the warp brought in from outside the image are no data, as gdalwarp marks them.
    cv::Mat mask(sen.height, sen.width, CV_8U, cv::Scalar(255));
    cv::warpPerspective(mask.clone(), mask, M, mask.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
    c.truth = multiply(toHomography(s2r), inverse(h));
    if (m.mirrored) {
      for (auto& b : sen.bands) cv::flip(b.clone(), b, 1);
      cv::flip(mask.clone(), mask, 1);
      // Mirrored pixel x (corners) shows what pixel width - x showed.
      c.truth = multiply(c.truth, {-1, 0, static_cast<double>(sen.width), 0, 1, 0, 0, 0, 1});
    }
    writeTiff(c.sensed, sen, nullptr, "", mask);
  }
  return c;
}

}  // namespace mmreg
