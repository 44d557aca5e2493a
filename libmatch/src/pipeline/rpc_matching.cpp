#include "pipeline/rpc_matching.h"

#include "pipeline/match_context.h"
#include "pipeline/match_rasters.h"
#include "pipeline/pixel_mapping.h"
#include "rpc/rpc_refinement.h"

namespace mmreg {
namespace {

// The sensed RPCs through GDAL (with the DEM), then the image-space correction.
class CorrectedRpcMapping : public PixelMapping {
 public:
  CorrectedRpcMapping(std::unique_ptr<PixelMapping> rpc, const FitResult& correction)
      : rpc_(std::move(rpc)), fwd_(correction.forward->clone()), inv_(correction.inverse->clone()) {}
  void refToSensed(std::vector<Point2>& p) const override {
    rpc_->refToSensed(p);
    for (auto& q : p) q = fwd_->apply(q);
  }
  void sensedToRef(std::vector<Point2>& p) const override {
    for (auto& q : p) q = inv_->apply(q);
    rpc_->sensedToRef(p);
  }

 private:
  std::unique_ptr<PixelMapping> rpc_;
  std::unique_ptr<Transform2D> fwd_, inv_;
};

}  // namespace

RpcRefinement refineRpcByMatching(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt, const FitOptions& fit,
                                  const MatchResult& registered, double sensedPixelSize, const ProgressSpan& progress) {
  RpcRefinement r = refineRpc(ref, sen, opt, fit, registered.tiePoints, sensedPixelSize);
  const MatchContext c = makeMatchContext(ref, sen, opt);
  constexpr int kRounds = 2;
  for (int k = 0; k < kRounds; ++k) {
    const CorrectedRpcMapping mapping(georefMapping(ref, sen, opt), r.fit);
    const MatchResult m = matchThrough(c, mapping, registered.processingScale, progress.sub(k / double(kRounds), (k + 1) / double(kRounds)));
    r = refineRpc(ref, sen, opt, fit, m.tiePoints, sensedPixelSize);
  }
  return r;
}

}  // namespace mmreg
