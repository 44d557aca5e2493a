#include "pipelines.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "features/dense_features.h"
#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/raster.h"
#ifdef MMREG_BENCH_LEARNED_VARIANTS
#include "learned_variants.h"
#endif

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// Peak resident memory of this process since the last reset, in MB (Linux: VmHWM; writing 5
// to clear_refs resets it, so each run is measured on its own).
void resetPeakRss() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}
double peakRssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return NAN;
}

class MmregPipeline : public Pipeline {
 public:
  MmregPipeline(std::string matcher, std::string detector, std::string features, bool refine, PipelineSettings s,
                std::string variant = {})
      : matcher_(std::move(matcher)), detector_(std::move(detector)), features_(std::move(features)), refine_(refine), s_(s),
        variant_(std::move(variant)) {}
  std::string name() const override {
    const bool own = detector_ == "corner" || detector_ == matcher_;
    return (own ? matcher_ : matcher_ + "+" + detector_) + (variant_.empty() ? "" : "-" + variant_) +
           (features_ == "structural" ? "" : "@" + features_) +
           (refine_ || matcher_ == "area" ? "" : "-norefine");
  }
  std::string detector() const override { return detector_; }
  PipelineRun run(const mmreg::SyntheticCase& c, const std::string&) const override {
    mmreg::CoregisterOptions o;
    o.reference = c.reference;
    o.sensed = c.sensed;
    o.match.matcher = matcher_;
#ifdef MMREG_BENCH_LEARNED_VARIANTS
    if (matcher_ == "learned") useLearnedVariant(variant_);
#endif
    if (detector_ != matcher_) o.match.detector = detector_;
    o.match.refine = refine_;
    o.match.features = features_;
    o.match.learned.featureWeights = s_.featureWeights;
    o.match.sensedModality = s_.sensedModality;
    o.match.coarse = s_.coarse;
    PipelineRun r;
    resetPeakRss();
    const auto t0 = Clock::now();
    try {
      auto res = mmreg::coregister(o, nullptr);
      r.tiePoints = std::move(res.match.tiePoints);
      r.fit = std::move(res.fit);
      r.verdict = mmreg::verdictName(res.verdict.level);
      r.verdictDetail = res.verdict;
      r.ok = true;
    } catch (const mmreg::Refused& e) {
      // Kept for the table: a refused model is judged against the truth too (refused but right).
      const auto& res = *e.result;
      r.verdict = mmreg::verdictName(e.level());
      r.verdictDetail = res.verdict;
      r.tiePoints = res.match.tiePoints;
      r.fit.forward = res.fit.forward->clone();
      r.fit.inverse = res.fit.inverse->clone();
      r.fit.inlier = res.fit.inlier;
      r.fit.check = res.fit.check;
      r.fit.inlierCount = res.fit.inlierCount;
      r.fit.checkCount = res.fit.checkCount;
      r.fit.rmseFit = res.fit.rmseFit;
      r.fit.rmseCheck = res.fit.rmseCheck;
      r.error = e.what();
    } catch (const mmreg::Error& e) {
      r.error = e.what();
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.peakRssMb = peakRssMb();
    return r;
  }

 private:
  std::string matcher_, detector_, features_;
  bool refine_;
  PipelineSettings s_;
  std::string variant_;  // of the learned matcher (learned_variants.h); empty: the plain one
};

// OTB 8.1 HomologousPointsExtraction in geobins mode (the tiling idea mmreg also uses), run
// through its CLI on the same GeoTIFFs; its tie points go through mmreg's global fit and
// verdict, so the comparison is of the matching.
class OtbPipeline : public Pipeline {
 public:
  std::string name() const override { return "otb-sift"; }
  std::string unavailableReason() const override {
    VSIStatBufL st;
    return VSIStatL(kCli, &st) == 0 ? std::string() : "not installed (scripts/install_deps.sh --with-otb)";
  }
  PipelineRun run(const mmreg::SyntheticCase& c, const std::string& work) const override {
    PipelineRun r;
    const std::string out = work + "/otb_points.txt";
    VSIUnlink(out.c_str());
    const std::string cmd = std::string(kCli) + " -in1 '" + c.reference + "' -in2 '" + c.sensed +
                            "' -algorithm sift -mode geobins -mode.geobins.binsize 256 -mode.geobins.margin 64"
                            " -backmatching 1 -precision 1 -out '" + out + "' > /dev/null 2>&1";
    resetPeakRss();
    const auto t0 = Clock::now();
    const int rc = std::system(cmd.c_str());
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.peakRssMb = NAN;  // another process: see the table's note
    if (rc != 0) {
      r.error = "otbcli_HomologousPointsExtraction exited with " + std::to_string(rc);
      return r;
    }
    // Each line: reference X Y, sensed X Y, in each image's "physical" coordinates. OTB (ITK)
    // keeps only the origin and pixel size of a geotransform and drops its rotation terms
    // (measured: with them, its points are off by 5-8 px on a rotated grid; without, by 0-2).
    const auto ref = mmreg::GeoRaster::open(c.reference), sen = mmreg::GeoRaster::open(c.sensed);
    const auto toPixel = [](const mmreg::GeoTransform& g, double x, double y) {
      return mmreg::Point2{(x - g[0]) / g[1], (y - g[3]) / g[5]};
    };
    std::ifstream in(out);
    double x1, y1, x2, y2;
    while (in >> x1 >> y1 >> x2 >> y2)
      r.tiePoints.push_back({toPixel(ref.geoTransform(), x1, y1), toPixel(sen.geoTransform(), x2, y2), 1.0, 0});
    // The same global fit and verdict as mmreg's own tie points get.
    mmreg::CoregisterOptions o;
    o.reference = c.reference;
    o.sensed = c.sensed;
    try {
      auto res = mmreg::applyTiePoints(o, r.tiePoints, nullptr);
      r.fit = std::move(res.fit);
      r.verdict = mmreg::verdictName(res.verdict.level);
      r.verdictDetail = res.verdict;
      r.ok = true;
    } catch (const mmreg::Refused& e) {
      r.verdict = mmreg::verdictName(e.level());
      r.verdictDetail = e.result->verdict;
      r.error = e.what();
    } catch (const mmreg::Error& e) {
      r.error = e.what();
    }
    return r;
  }

 private:
  static constexpr const char* kCli = "/usr/bin/otbcli_HomologousPointsExtraction";
};

}  // namespace

std::unique_ptr<Pipeline> makePipeline(const std::string& name, const PipelineSettings& s) {
  if (name == "otb") return std::make_unique<OtbPipeline>();
  const std::string kNoRefine = "-norefine";
  const bool refine = !(name.size() > kNoRefine.size() && name.compare(name.size() - kNoRefine.size(), kNoRefine.size(), kNoRefine) == 0);
  const std::string full = refine ? name : name.substr(0, name.size() - kNoRefine.size());
  const auto at = full.find('@');
  const std::string base = full.substr(0, at), features = at != std::string::npos ? full.substr(at + 1) : "structural";
  const auto plus = base.find('+');
  // "learned-VARIANT": a variant of the learned matcher (learned_variants.h).
  const std::string variant = base.rfind("learned-", 0) == 0 ? base.substr(8) : "";
#ifdef MMREG_BENCH_LEARNED_VARIANTS
  if (!variant.empty() && !isLearnedVariant(variant)) throw mmreg::Error("unknown learned matcher variant in " + name + "; use verified or gridN");
#else
  if (!variant.empty()) throw mmreg::Error(name + " needs a build with LibTorch");
#endif
  const std::string matcher = variant.empty() ? base.substr(0, plus) : "learned";
  // The area and learned matchers take corners unless a detector is named; the others their own.
  const bool takesCorners = matcher == "area" || matcher == "learned";
  const std::string detector = plus != std::string::npos ? base.substr(plus + 1) : takesCorners ? "corner" : matcher;
  // Throws for unknown names, missing weights, and detectors the matcher cannot use.
  mmreg::makeTileMatcher(matcher, {}, plus != std::string::npos ? mmreg::makeDetector(detector) : nullptr);
  mmreg::LearnedModelOptions lo;
  lo.featureWeights = s.featureWeights;
  mmreg::makeDenseFeatures(features, lo);
  return std::make_unique<MmregPipeline>(matcher, detector, features, refine, s, variant);
}

}  // namespace bench
