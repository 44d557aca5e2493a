#include "pipeline/pixel_mapping.h"

#include <gdal_alg.h>
#include <gdal_priv.h>

#include <cmath>
#include <limits>
#include <mutex>

#include "mmreg/error.h"

namespace mmreg {
namespace {

class GdalTransformerMapping : public PixelMapping {
 public:
  explicit GdalTransformerMapping(void* arg) : arg_(arg) {}
  ~GdalTransformerMapping() override { GDALDestroyGenImgProjTransformer(arg_); }
  void refToSensed(std::vector<Point2>& p) const override { run(p, TRUE); }
  void sensedToRef(std::vector<Point2>& p) const override { run(p, FALSE); }

 private:
  void run(std::vector<Point2>& p, int dstToSrc) const {
    const int n = static_cast<int>(p.size());
    std::vector<double> x(n), y(n), z(n, 0);
    std::vector<int> ok(n, 0);
    for (int i = 0; i < n; ++i) x[i] = p[i].x, y[i] = p[i].y;
    {
      // Tiles are read on several threads; GDAL's transformer (PROJ, an RPC DEM) is not
      // safe to call from two at once.
      const std::lock_guard<std::mutex> lock(mutex_);
      GDALGenImgProjTransform(arg_, dstToSrc, n, x.data(), y.data(), z.data(), ok.data());
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int i = 0; i < n; ++i) p[i] = ok[i] ? Point2{x[i], y[i]} : Point2{nan, nan};
  }
  void* arg_;
  mutable std::mutex mutex_;
};

class ModelMapping : public PixelMapping {
 public:
  ModelMapping(const Transform2D& f, const Transform2D& i) : fwd_(f.clone()), inv_(i.clone()) {}
  void refToSensed(std::vector<Point2>& p) const override {
    for (auto& q : p) q = inv_->apply(q);
  }
  void sensedToRef(std::vector<Point2>& p) const override {
    for (auto& q : p) q = fwd_->apply(q);
  }

 private:
  std::unique_ptr<Transform2D> fwd_, inv_;
};

}  // namespace

std::unique_ptr<PixelMapping> georefMapping(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt) {
  CPLStringList opts;
  if (!opt.sensedSrs.empty()) opts.SetNameValue("SRC_SRS", opt.sensedSrs.c_str());
  if (sen.georefKind() == GeorefKind::Rpc) {
    opts.SetNameValue("METHOD", "RPC");
    // Over relief, RPCs place pixels right only at the right height.
    if (!opt.dem.empty()) opts.SetNameValue("RPC_DEM", opt.dem.c_str());
    else if (opt.rpcHeight) opts.SetNameValue("RPC_HEIGHT", CPLSPrintf("%.17g", *opt.rpcHeight));
  }
  CPLErrorReset();
  void* arg = GDALCreateGenImgProjTransformer2(GDALDataset::ToHandle(sen.handle()), GDALDataset::ToHandle(ref.handle()),
                                               opts.List());
  if (!arg)
    throw Error(std::string("cannot relate the sensed raster to the reference through their georeferencing (") +
                CPLGetLastErrorMsg() + "); check both CRSs with gdalinfo");
  return std::make_unique<GdalTransformerMapping>(arg);
}

std::unique_ptr<PixelMapping> modelMapping(const Transform2D& forward, const Transform2D& inverse) {
  return std::make_unique<ModelMapping>(forward, inverse);
}

double sensedPixelsPerRefPixel(const PixelMapping& m, Point2 p) {
  std::vector<Point2> q{p, {p.x + 1, p.y}, {p.x, p.y + 1}};
  m.refToSensed(q);
  const double a = q[1].x - q[0].x, b = q[2].x - q[0].x, c = q[1].y - q[0].y, d = q[2].y - q[0].y;
  const double det = std::abs(a * d - b * c);
  if (!std::isfinite(det) || det <= 0) throw Error("the georeferencing maps the reference centre to no sensed pixel; check the inputs overlap");
  return std::sqrt(det);
}

}  // namespace mmreg
