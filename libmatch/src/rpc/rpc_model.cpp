#include "rpc/rpc_model.h"

#include <cpl_string.h>

#include <Eigen/Dense>
#include <cmath>

#include "mmreg/error.h"

namespace mmreg {
namespace {

// RPC samples and lines count from the centre of the first pixel; GDAL's pixel/line from its
// top-left corner (GDAL's RPC transformer adds the same half pixel).
constexpr double kCentreToCorner = 0.5;

// The 20 cubic terms in RPC00B order, of normalised longitude L, latitude P and height H.
void terms(double L, double P, double H, double t[20]) {
  t[0] = 1, t[1] = L, t[2] = P, t[3] = H, t[4] = L * P, t[5] = L * H, t[6] = P * H, t[7] = L * L, t[8] = P * P, t[9] = H * H;
  t[10] = P * L * H, t[11] = L * L * L, t[12] = L * P * P, t[13] = L * H * H, t[14] = L * L * P, t[15] = P * P * P;
  t[16] = P * H * H, t[17] = L * L * H, t[18] = P * P * H, t[19] = H * H * H;
}

double dot(const double a[20], const double t[20]) {
  double s = 0;
  for (int i = 0; i < 20; ++i) s += a[i] * t[i];
  return s;
}

std::string coefficients(const double c[20]) {
  std::string s;
  for (int i = 0; i < 20; ++i) s += (i ? " " : "") + std::string(CPLSPrintf("%.17g", c[i]));
  return s;
}

}  // namespace

RpcModel RpcModel::fromMetadata(CSLConstList md, const std::string& what) {
  GDALRPCInfoV2 info{};
  if (!md || !GDALExtractRPCInfoV2(md, &info))
    throw Error(what + " has no RPC model (gdalinfo shows none in its RPC Metadata); -rpc_refine needs a raster delivered with RPCs");
  return RpcModel(info);
}

Point2 RpcModel::project(const GroundPoint& g) const {
  const auto& r = info_;
  double t[20];
  terms((g.lon - r.dfLONG_OFF) / r.dfLONG_SCALE, (g.lat - r.dfLAT_OFF) / r.dfLAT_SCALE, (g.height - r.dfHEIGHT_OFF) / r.dfHEIGHT_SCALE,
        t);
  return {dot(r.adfSAMP_NUM_COEFF, t) / dot(r.adfSAMP_DEN_COEFF, t) * r.dfSAMP_SCALE + r.dfSAMP_OFF + kCentreToCorner,
          dot(r.adfLINE_NUM_COEFF, t) / dot(r.adfLINE_DEN_COEFF, t) * r.dfLINE_SCALE + r.dfLINE_OFF + kCentreToCorner};
}

std::vector<std::string> RpcModel::metadata() const {
  const auto& r = info_;
  auto kv = [](const char* k, double v) { return std::string(k) + "=" + CPLSPrintf("%.17g", v); };
  return {kv("LINE_OFF", r.dfLINE_OFF),     kv("SAMP_OFF", r.dfSAMP_OFF),       kv("LAT_OFF", r.dfLAT_OFF),
          kv("LONG_OFF", r.dfLONG_OFF),     kv("HEIGHT_OFF", r.dfHEIGHT_OFF),   kv("LINE_SCALE", r.dfLINE_SCALE),
          kv("SAMP_SCALE", r.dfSAMP_SCALE), kv("LAT_SCALE", r.dfLAT_SCALE),     kv("LONG_SCALE", r.dfLONG_SCALE),
          kv("HEIGHT_SCALE", r.dfHEIGHT_SCALE), kv("MIN_LONG", r.dfMIN_LONG), kv("MIN_LAT", r.dfMIN_LAT),
          kv("MAX_LONG", r.dfMAX_LONG),     kv("MAX_LAT", r.dfMAX_LAT),         kv("ERR_BIAS", r.dfERR_BIAS),
          kv("ERR_RAND", r.dfERR_RAND),
          "LINE_NUM_COEFF=" + coefficients(r.adfLINE_NUM_COEFF), "LINE_DEN_COEFF=" + coefficients(r.adfLINE_DEN_COEFF),
          "SAMP_NUM_COEFF=" + coefficients(r.adfSAMP_NUM_COEFF), "SAMP_DEN_COEFF=" + coefficients(r.adfSAMP_DEN_COEFF)};
}

RpcModel RpcModel::refitted(const std::vector<GroundPoint>& ground, const std::vector<Point2>& target, double* maxError) const {
  if (ground.size() != target.size() || ground.size() < 40) throw Error("internal: an RPC refit needs at least 40 ground points");
  // With the denominator D fixed, value = N / D * scale + off is linear in N's coefficients:
  // N(t) = (value - off) / scale * D(t).
  const auto& r = info_;
  const int n = static_cast<int>(ground.size());
  Eigen::MatrixXd A(n, 20), As(n, 20);
  Eigen::VectorXd bl(n), bs(n);
  for (int i = 0; i < n; ++i) {
    double t[20];
    const auto& g = ground[i];
    terms((g.lon - r.dfLONG_OFF) / r.dfLONG_SCALE, (g.lat - r.dfLAT_OFF) / r.dfLAT_SCALE, (g.height - r.dfHEIGHT_OFF) / r.dfHEIGHT_SCALE, t);
    const double dl = dot(r.adfLINE_DEN_COEFF, t), ds = dot(r.adfSAMP_DEN_COEFF, t);
    for (int k = 0; k < 20; ++k) A(i, k) = t[k] / dl, As(i, k) = t[k] / ds;  // rows weighted so residuals are in N/D units
    bl(i) = (target[i].y - kCentreToCorner - r.dfLINE_OFF) / r.dfLINE_SCALE;
    bs(i) = (target[i].x - kCentreToCorner - r.dfSAMP_OFF) / r.dfSAMP_SCALE;
  }
  // Ridge-free least squares by complete orthogonal decomposition: terms the grid cannot
  // separate (a flat height range, say) get the minimum-norm solution instead of noise.
  const Eigen::VectorXd line = A.completeOrthogonalDecomposition().solve(bl);
  const Eigen::VectorXd samp = As.completeOrthogonalDecomposition().solve(bs);
  GDALRPCInfoV2 out = r;
  for (int k = 0; k < 20; ++k) out.adfLINE_NUM_COEFF[k] = line(k), out.adfSAMP_NUM_COEFF[k] = samp(k);
  RpcModel fitted(out);
  double worst = 0;
  for (int i = 0; i < n; ++i) {
    const Point2 p = fitted.project(ground[i]);
    worst = std::max(worst, std::hypot(p.x - target[i].x, p.y - target[i].y));
  }
  if (maxError) *maxError = worst;
  return fitted;
}

}  // namespace mmreg
