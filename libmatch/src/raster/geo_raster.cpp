#include "mmreg/raster.h"

#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <complex>

#include "mmreg/error.h"
#include "raster/paletted.h"

namespace mmreg {

void GeoRaster::Closer::operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }

GeoRaster::GeoRaster(std::string path, GDALDataset* file, GDALDataset* view, std::optional<double> nodata)
    : path_(std::move(path)), file_(view ? file : nullptr), ds_(view ? view : file), nodata_(nodata) {}
GeoRaster::GeoRaster(GeoRaster&&) noexcept = default;
GeoRaster& GeoRaster::operator=(GeoRaster&& o) noexcept {
  if (this != &o) {
    ds_.reset();  // a VRT view before the file it reads
    file_ = std::move(o.file_);
    ds_ = std::move(o.ds_);
    path_ = std::move(o.path_);
    nodata_ = o.nodata_;
  }
  return *this;
}
GeoRaster::~GeoRaster() = default;

namespace {

std::string numberText(double v) { return CPLSPrintf("%g", v); }

// A VRT over every band of `file` declaring `nodata` instead of the file's nodata and mask, so
// that GDAL's own reads (averaged overviews included) and its warper leave those pixels out.
GDALDataset* withNodata(GDALDataset* file, double nodata, const std::string& path) {
  CPLStringList args;
  for (const char* a : {"-of", "VRT", "-mask", "none", "-a_nodata"}) args.AddString(a);
  args.AddString(CPLSPrintf("%.17g", nodata));
  GDALTranslateOptions* to = GDALTranslateOptionsNew(args.List(), nullptr);
  int usageError = FALSE;
  CPLErrorReset();
  CPLPushErrorHandler(CPLQuietErrorHandler);  // its warning for a clamped value is replaced below
  GDALDatasetH vrt = GDALTranslate("", GDALDataset::ToHandle(file), to, &usageError);
  CPLPopErrorHandler();
  GDALTranslateOptionsFree(to);
  if (!vrt) throw Error("cannot declare nodata " + numberText(nodata) + " on '" + path + "': " + CPLGetLastErrorMsg());
  // GDAL drops a value the band's type cannot hold (-9999 on bytes) with a mere warning.
  int has = FALSE;
  const double declared = GDALGetRasterNoDataValue(GDALGetRasterBand(vrt, 1), &has);
  const bool same = std::isnan(nodata) ? std::isnan(declared) : declared == nodata;  // nan != nan
  if (!has || !same) {
    const std::string type = GDALGetDataTypeName(GDALGetRasterDataType(GDALGetRasterBand(vrt, 1)));
    GDALClose(vrt);
    throw Error("nodata " + numberText(nodata) + " cannot occur in '" + path + "', whose pixels are " + type +
                "; give a value of that type (0 for a black fill in 8-bit images)");
  }
  return GDALDataset::FromHandle(vrt);
}

}  // namespace

GeoRaster GeoRaster::open(const std::string& path, std::optional<double> nodata) {
  GDALAllRegister();
  CPLErrorReset();
  // A path that names no file may still be a GDAL connection string (a subdataset such as
  // NETCDF:"x.nc":hh): tried quietly, and only then called missing.
  VSIStatBufL st;
  const bool isFile = VSIStatL(path.c_str(), &st) == 0;
  if (!isFile) CPLPushErrorHandler(CPLQuietErrorHandler);
  auto* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!isFile) CPLPopErrorHandler();
  if (!ds) {
    if (!isFile) throw Error("cannot open '" + path + "': the file does not exist; check the path");
    std::string why = CPLGetLastErrorMsg();
    throw Error("cannot open '" + path + "' as a raster" + (why.empty() ? "" : " (" + why + ")") +
                "; give a raster file GDAL can read (check with gdalinfo)");
  }
  if (ds->GetRasterCount() < 1 || ds->GetRasterXSize() < 1 || ds->GetRasterYSize() < 1) {
    const CPLStringList subdatasets(CSLDuplicate(ds->GetMetadata("SUBDATASETS")));
    GDALClose(ds);
    const char* first = subdatasets.FetchNameValue("SUBDATASET_1_NAME");
    if (first)
      throw Error("'" + path + "' holds " + std::to_string(subdatasets.size() / 2) +
                  " subdatasets and no raster of its own; give one of them as the input, such as '" + first +
                  "' (gdalinfo lists them)");
    throw Error("'" + path + "' has no raster bands; give a raster file, not a vector or an empty container");
  }
  if (!nodata) return GeoRaster(path, ds, nullptr, nodata);
  try {
    return GeoRaster(path, ds, withNodata(ds, *nodata, path), nodata);
  } catch (...) {
    GDALClose(ds);
    throw;
  }
}

int GeoRaster::width() const { return ds_->GetRasterXSize(); }
int GeoRaster::height() const { return ds_->GetRasterYSize(); }
int GeoRaster::bandCount() const { return ds_->GetRasterCount(); }

GeorefKind GeoRaster::georefKind() const {
  double gt[6];
  if (ds_->GetGeoTransform(gt) == CE_None) return GeorefKind::GeoTransform;
  if (ds_->GetGCPCount() > 0) return GeorefKind::Gcps;
  if (ds_->GetMetadata("RPC") != nullptr) return GeorefKind::Rpc;
  return GeorefKind::None;
}

GeoTransform GeoRaster::geoTransform() const {
  GeoTransform gt{0, 1, 0, 0, 0, 1};
  ds_->GetGeoTransform(gt.data());
  return gt;
}

std::string GeoRaster::crsWkt() const {
  const OGRSpatialReference* srs = ds_->GetSpatialRef();
  if (!srs && ds_->GetGCPCount() > 0) srs = ds_->GetGCPSpatialRef();
  if (!srs) return {};
  char* wkt = nullptr;
  const char* opts[] = {"FORMAT=WKT2_2018", nullptr};
  srs->exportToWkt(&wkt, opts);
  std::string out = wkt ? wkt : "";
  CPLFree(wkt);
  return out;
}

void GeoRaster::checkBand(int band, const char* what) const {
  if (band < 1 || band > bandCount())
    throw Error(std::string(what) + " " + std::to_string(band) + " does not exist in '" + path_ + "', which has " +
                std::to_string(bandCount()) + " band(s); pick a band from 1 to " + std::to_string(bandCount()));
}

bool GeoRaster::isComplex(int band) const {
  return GDALDataTypeIsComplex(ds_->GetRasterBand(band)->GetRasterDataType()) != 0;
}

std::string GeoRaster::dataTypeName(int band) const {
  return GDALGetDataTypeName(ds_->GetRasterBand(band)->GetRasterDataType());
}

bool isRotatedGrid(const GeoRaster& raster) {
  const auto gt = raster.geoTransform();
  return gt[2] != 0 || gt[4] != 0;
}

double GeoRaster::pixelSize() const {
  if (!hasGeoTransform()) return 1;
  const auto gt = geoTransform();
  return std::sqrt(std::hypot(gt[1], gt[4]) * std::hypot(gt[2], gt[5]));
}

Image GeoRaster::readWindow(int band, const PixelWindow& w, int outW, int outH) const {
  return std::move(readBands({band}, w, outW, outH)[0]);
}

std::vector<Image> GeoRaster::readBands(const std::vector<int>& bands, const PixelWindow& w, int outW, int outH) const {
  for (int b : bands) checkBand(b, "band");
  std::vector<Image> out;
  for (size_t k = 0; k < bands.size(); ++k) {
    out.emplace_back(outW, outH, 0.f);
    out.back().valid.assign(static_cast<size_t>(outW) * outH, 0);
  }
  const double sx = static_cast<double>(w.width) / outW, sy = static_cast<double>(w.height) / outH;
  // Output pixels whose footprint lies wholly inside the raster.
  const int ox0 = std::max(0, static_cast<int>(std::ceil((0 - w.x) / sx - 1e-9)));
  const int oy0 = std::max(0, static_cast<int>(std::ceil((0 - w.y) / sy - 1e-9)));
  const int ox1 = std::min(outW, static_cast<int>(std::floor((width() - w.x) / sx + 1e-9)));
  const int oy1 = std::min(outH, static_cast<int>(std::floor((height() - w.y) / sy + 1e-9)));
  if (ox1 <= ox0 || oy1 <= oy0 || bands.empty()) return out;
  const bool decimating = sx > 1.01 || sy > 1.01;

  // Decimated reads go by strips of about two block rows, every band of a strip in turn: the
  // strip's blocks stay in GDAL's cache, so a pixel-interleaved file (RGB) or a nodata mask
  // decodes each block once, not once per band over a window larger than the cache. Averaging
  // is per output pixel, so strips on output rows give the same values as one read.
  int blockW = 0, blockH = 0;
  ds_->GetRasterBand(bands[0])->GetBlockSize(&blockW, &blockH);
  const int rowsPerStrip = decimating ? std::max(1, static_cast<int>(std::max(2 * blockH, 512) / sy)) : oy1 - oy0;
  for (int r0 = oy0; r0 < oy1; r0 += rowsPerStrip) {
    const int r1 = std::min(oy1, r0 + rowsPerStrip);
    for (size_t k = 0; k < bands.size(); ++k) readStrip(bands[k], w, sx, sy, ox0, ox1, r0, r1, decimating, out[k]);
  }
  return out;
}

void GeoRaster::readStrip(int band, const PixelWindow& w, double sx, double sy, int ox0, int ox1, int oy0, int oy1,
                          bool decimating, Image& img) const {
  if (isPaletted(GDALRasterBand::ToHandle(ds_->GetRasterBand(band))))
    return readPalettedStrip(band, w, sx, sy, ox0, ox1, oy0, oy1, decimating, img);
  const int bw = ox1 - ox0, bh = oy1 - oy0;
  GDALRasterIOExtraArg arg;
  INIT_RASTERIO_EXTRA_ARG(arg);
  arg.eResampleAlg = decimating ? GRIORA_Average : GRIORA_Bilinear;
  arg.bFloatingPointWindowValidity = TRUE;
  arg.dfXOff = w.x + ox0 * sx;
  arg.dfYOff = w.y + oy0 * sy;
  arg.dfXSize = bw * sx;
  arg.dfYSize = bh * sy;
  const int ix = static_cast<int>(std::floor(arg.dfXOff)), iy = static_cast<int>(std::floor(arg.dfYOff));
  const int iw = std::max(1, std::min(width() - ix, static_cast<int>(std::ceil(arg.dfXOff + arg.dfXSize)) - ix));
  const int ih = std::max(1, std::min(height() - iy, static_cast<int>(std::ceil(arg.dfYOff + arg.dfYSize)) - iy));

  GDALRasterBand* rb = ds_->GetRasterBand(band);
  std::vector<float> buf(static_cast<size_t>(bw) * bh * (isComplex(band) ? 2 : 1));
  const GDALDataType type = isComplex(band) ? GDT_CFloat32 : GDT_Float32;
  if (rb->RasterIO(GF_Read, ix, iy, iw, ih, buf.data(), bw, bh, type, 0, 0, &arg) != CE_None)
    throw Error("reading band " + std::to_string(band) + " of '" + path_ + "' failed: " + CPLGetLastErrorMsg() +
                "; check that the file is complete and readable");
  std::vector<GByte> mask(static_cast<size_t>(bw) * bh, 255);
  GDALRasterBand* mb = rb->GetMaskBand();
  if (!(rb->GetMaskFlags() & GMF_ALL_VALID) && mb) {
    arg.eResampleAlg = GRIORA_NearestNeighbour;
    if (mb->RasterIO(GF_Read, ix, iy, iw, ih, mask.data(), bw, bh, GDT_Byte, 0, 0, &arg) != CE_None)
      throw Error("reading the mask of band " + std::to_string(band) + " of '" + path_ + "' failed: " + CPLGetLastErrorMsg());
  }
  // Values stored scaled (Int16 decibels x 100 with a scale of 0.01) are read as the quantity
  // they encode, as gdal_translate -unscale would: the SAR decibel test and the statistics
  // look at that quantity. A complex band's magnitude only takes the scale's size.
  int hasScale = FALSE, hasOffset = FALSE;
  double scale = rb->GetScale(&hasScale), offset = rb->GetOffset(&hasOffset);
  if (!hasScale || scale == 0 || !std::isfinite(scale)) scale = 1;
  if (!hasOffset || !std::isfinite(offset) || type == GDT_CFloat32) offset = 0;
  if (type == GDT_CFloat32) scale = std::abs(scale);
  for (int y = 0; y < bh; ++y) {
    for (int x = 0; x < bw; ++x) {
      const size_t i = static_cast<size_t>(y) * bw + x;
      float v = type == GDT_CFloat32 ? std::abs(std::complex<float>(buf[2 * i], buf[2 * i + 1])) : buf[i];
      v = static_cast<float>(v * scale + offset);
      const bool ok = mask[i] != 0 && std::isfinite(v);
      img.at(ox0 + x, oy0 + y) = ok ? v : 0.f;
      img.valid[static_cast<size_t>(oy0 + y) * img.width + ox0 + x] = ok;
    }
  }
}

}  // namespace mmreg
