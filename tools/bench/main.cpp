// mmreg_bench: real aligned pairs from ../shared/data (a split of models/splits.json), a seeded
// random misregistration each, every chosen pipeline on the same cases in one run. Prints one
// table (modality group x pipeline) and writes one CSV row per case and pipeline.
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "command_line.h"
#include "case_metrics.h"
#include "decibels.h"
#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/process_memory.h"
#include "mmreg/splits.h"
#include "pair_selection.h"
#include "pipelines.h"
#include "truth_audit.h"

namespace {

struct Args {
  std::string data = "../shared/data";
  std::string splitsFile = MMREG_DEFAULT_SPLITS;
  std::string split = "test";
  std::vector<std::string> sources{"3mos", "s1s2", "vsff", "srif", "landsat"};
  std::vector<std::string> groups;
  std::vector<std::string> pipelines{"area", "sift", "orb", "akaze", "otb"};
  int perGroup = 10;
  double maxShift = 40, maxRotation = 3, maxScale = 0.03, maxPerspective = 0;
  double scaleOctaves = 0;  // > 0: scale drawn log-uniformly in [2^-octaves, 2^octaves], not 1 +- maxScale
  bool pixels = false;
  bool keep = false;  // keep each case's GeoTIFFs under --work (to rerun one with the CLI)
  bool sarDecibels = false;  // the SAR images in decibels, Float32 (decibels.h)
  bool mirrored = false;     // each sensed image turned over left to right (needs --pixels)
  bool auditTruth = false;  // judge pairs whose dataset alignment the content disputes by the content (truth_audit.h)
  unsigned seed = 7;
  double successPx = 3.0;
  std::string csv, work = "/tmp/mmreg_bench", sensedType = "auto", coarse = "auto", featureWeights;
};

const char* kUsage =
    "mmreg_bench [--data DIR] [--split test|validation|train|all] [--splits FILE]\n"
    "            [--sources 3mos,s1s2,vsff,srif,landsat] [--groups G1,G2] [--per-group N]\n"
    "            [--pipelines area,area+peakiness,area@learned,learned,sift,orb,akaze,otb] [--feature-weights FILE.pt] [--max-shift PX] [--max-rotation DEG] [--max-scale F]\n"
    "            [--max-perspective P (per px; needs --pixels)] [--scale-octaves N]\n"
    "            [--pixels] [--seed N] [--success PX] [--csv FILE] [--work DIR] [--keep] [--audit-truth] [--sar-decibels]\n"
    "            [--mirrored]\n"
    "            [--sensed-type auto|sar|optical] [--coarse auto|never|always]\n"
    "Each case is a real aligned pair with a seeded random misregistration: a shift of half to all of\n"
    "--max-shift in a random direction, rotation and scale within the maxima, in the sensed\n"
    "georeferencing (default) or, with --pixels, in its pixels with no georeferencing. At most\n"
    "--per-group pairs per modality group, spread evenly. Success: true check-point RMSE < --success.\n"
    "--scale-octaves N draws the scale log-uniformly in [2^-N, 2^N] (1: 0.5 to 2) instead of 1 +- --max-scale.\n"
    "Accepted but wrong: mmreg wrote a result (exit 0) whose true error exceeds 5 px. Refused but right: mmreg\n"
    "refused a model (its verdict) whose true error was under --success. --audit-truth: mmreg registers each pair as\n"
    "given first; where that model is verified and differs from the dataset's alignment by more than 5 px, the\n"
    "pair's truth is disputed: an accepted result more than 5 px off the dataset's truth but within 5 px of that\n"
    "content alignment is counted as disputed, not wrong. Success and errors are always against the dataset's truth.\n"
    "--sar-decibels: each SAR image is given as Float32 backscatter in dB (-40 to -5), as Earth Engine and SNAP give it.\n"
    "--mirrored (with --pixels): each sensed image is also turned over left to right, as SAR in radar geometry is.\n";

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double mean(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / n : NAN;
}

std::string num(double v, int digits = 2) { return std::isfinite(v) ? CPLSPrintf("%.*f", digits, v) : "–"; }

constexpr int kMmaThresholds[] = {1, 2, 3, 5, 10};  // px, the table's MMA columns

constexpr double kWrongPx = 5;  // an accepted result further off than this is "accepted but wrong"
constexpr double kAuditPx = kWrongPx;  // a verified content alignment this far from the dataset's disputes it

struct Acc {
  int cases = 0, success = 0, acceptedWrong = 0, refusedRight = 0, disputed = 0;  // disputed: accepted, off a disputed truth
  std::vector<double> err, mma[11], nnMap, rep3, secs, rss;
};

// One table row: group, pipeline and the accumulated metrics.
void printRow(const std::string& group, const std::string& pipeline, const Acc& ac) {
  const double med = median(ac.err);
  std::printf("| %s | %s | %d | %d (%.0f%%) | %d | %d | %d | %s |", group.c_str(), pipeline.c_str(), ac.cases, ac.success,
              100.0 * ac.success / ac.cases, ac.acceptedWrong, ac.refusedRight, ac.disputed, std::isfinite(med) ? num(med).c_str() : "failed");
  for (int t : kMmaThresholds) std::printf(" %s |", num(mean(ac.mma[t])).c_str());
  std::printf(" %s | %s | %s | %s |\n", num(mean(ac.nnMap)).c_str(), num(mean(ac.rep3)).c_str(), num(median(ac.secs)).c_str(),
              num(*std::max_element(ac.rss.begin(), ac.rss.end()), 0).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();  // as the CLI does: the times are the CLI's
  Args a;
  const auto done = bench::CommandLine("mmreg_bench", kUsage)
                        .text("--data", a.data)
                        .text("--split", a.split)
                        .text("--splits", a.splitsFile)
                        .list("--sources", a.sources)
                        .list("--groups", a.groups)
                        .list("--pipelines", a.pipelines)
                        .integer("--per-group", a.perGroup)
                        .number("--max-shift", a.maxShift)
                        .number("--max-rotation", a.maxRotation)
                        .number("--max-scale", a.maxScale)
                        .number("--max-perspective", a.maxPerspective)
                        .number("--scale-octaves", a.scaleOctaves)
                        .flag("--pixels", a.pixels)
                        .flag("--keep", a.keep)
                        .flag("--audit-truth", a.auditTruth)
                        .flag("--sar-decibels", a.sarDecibels)
                        .flag("--mirrored", a.mirrored)
                        .seed("--seed", a.seed)
                        .number("--success", a.successPx)
                        .text("--csv", a.csv)
                        .text("--work", a.work)
                        .text("--sensed-type", a.sensedType)
                        .text("--coarse", a.coarse)
                        .text("--feature-weights", a.featureWeights)
                        .parse(argc, argv);
  if (done) return *done;
  if (a.mirrored && !a.pixels) return std::fprintf(stderr, "mmreg_bench: --mirrored needs --pixels (a geotransform is not mirrored)\n"), 2;
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  mmreg::registerLearnedModels();
  VSIMkdirRecursive(a.work.c_str(), 0755);

  bench::PipelineSettings settings;
  if (!mmreg::parseModality(a.sensedType, &settings.sensedModality)) return std::fprintf(stderr, "bad --sensed-type\n"), 2;
  settings.featureWeights = a.featureWeights;
  settings.coarse = a.coarse == "never" ? mmreg::CoarseMode::Never : a.coarse == "always" ? mmreg::CoarseMode::Always : mmreg::CoarseMode::Auto;
  std::vector<std::unique_ptr<bench::Pipeline>> pipelines;
  try {
    for (auto& name : a.pipelines) pipelines.push_back(bench::makePipeline(name, settings));
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench: %s\n", e.what()), 2;
  }

  // The cases: the chosen split, then at most --per-group pairs of each group, spread evenly.
  std::vector<mmreg::AlignedPair> pairs;
  try {
    for (auto& [g, list] : bench::pairsByGroup(a.data, a.splitsFile, a.split, a.sources, a.groups))
      for (auto& p : bench::spreadEvenly(list, a.perGroup)) pairs.push_back(p);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench: %s\n", e.what()), 1;
  }
  if (pairs.empty()) return std::fprintf(stderr, "mmreg_bench: no pairs under %s for split %s\n", a.data.c_str(), a.split.c_str()), 1;

  const bool anyDetector =
      std::any_of(pipelines.begin(), pipelines.end(), [](const auto& pl) { return !pl->detector().empty(); });
  std::mt19937 rng(a.seed);
  const bench::MisregistrationRange range{a.maxShift, a.maxRotation, a.maxScale, a.maxPerspective, a.scaleOctaves, a.pixels};
  std::ofstream csv;
  if (!a.csv.empty()) {
    csv.open(a.csv);
    csv << "case,group,dx,dy,rotation_deg,scale,pipeline,ok,accepted_wrong,verdict,model,candidates,inliers,checks,reported_check_rmse_px,"
           "true_check_rmse_px,true_grid_rmse_px,refused_true_err_px,mma1,mma3,mma5,mma10,nn_map,ncm3,cmr3,repeatability3,seconds,peak_rss_mb,"
           "start,windows,confirmed,p_value,rank_p_value,agg_dx,agg_dy,agg_peak,agg_z,perturbation_margin,cells_confirmed,geo_scale_change,geo_rotation_deg,"
           "geo_anisotropy,extrapolation_px,min_inliers,truth_disputed,dataset_vs_content_px,content_truth_err_px,rival_windows,rival_dx,rival_dy,"
           "rival_p_value,confirmation_features,confirmed_span_px,error\n";
  }
  std::map<std::pair<std::string, std::string>, Acc> acc;  // (group, pipeline)
  for (size_t ci = 0; ci < pairs.size(); ++ci) {
    const auto& p = pairs[ci];
    mmreg::Misregistration m = bench::drawMisregistration(rng, range);
    m.mirrored = a.mirrored;
    mmreg::SyntheticCase c, warped;
    try {
      c = mmreg::buildCase(p, m, a.pixels ? mmreg::MisregistrationMode::Pixels : mmreg::MisregistrationMode::Georeferencing, a.work,
                           "case" + std::to_string(ci));
      // Repeatability needs the sensed pixels really warped: with the misregistration in the
      // georeferencing only, the pixels stay aligned and a detector that ignores the content
      // (a fixed lattice) would repeat perfectly.
      // (Only when some pipeline has a detector to measure.)
      warped = a.pixels || !anyDetector ? c : mmreg::buildCase(p, m, mmreg::MisregistrationMode::Pixels, a.work, "warped" + std::to_string(ci));
      if (a.sarDecibels && bench::sensedIsSar(p))
        for (const auto* k : {&c, &warped})
          if (k == &c || warped.sensed != c.sensed) bench::rewriteAsDecibels(k->sensed);
    } catch (const mmreg::Error& e) {
      std::fprintf(stderr, "skipping %s: %s\n", p.name.c_str(), e.what());
      continue;
    }
    const std::string group = p.source + "/" + p.group;
    bench::TruthAudit audit;
    if (a.auditTruth) {
      audit = bench::auditTruth(p, settings, a.work, kAuditPx);
      if (audit.disputed)
        std::fprintf(stderr, "%-34s truth disputed: the verified content alignment differs from the dataset's by up to %.1f px\n",
                     p.name.c_str(), audit.disagreementPx);
    }
    const bench::TruthFn truth = [&c](mmreg::Point2 q) { return c.truthOf(q); };
    const bench::TruthFn content = bench::truthFor(c, p, audit);
    for (const auto& pl : pipelines) {
      if (!pl->unavailableReason().empty()) continue;
      const auto run = pl->run(c, a.work);
      const auto met = bench::evaluate(run, c, truth);
      const double rep = bench::detectorRepeatability(pl->detector(), warped, settings.sensedModality, 3.0);
      const bool ok = run.ok && std::isfinite(met.trueCheckRmse) && met.trueCheckRmse < a.successPx;
      // Without check points the grid error stands in: an accepted result is judged either way.
      const double trueErr = std::isfinite(met.trueCheckRmse) ? met.trueCheckRmse : met.trueGridRmse;
      // Where the audit disputes the dataset's alignment, a result that agrees with the verified
      // content alignment is not counted wrong; it is counted as disputed instead.
      const double contentErr = audit.disputed && run.fit.forward ? bench::modelError(run.fit, run.tiePoints, c, content).judged() : NAN;
      const bool offDataset = run.ok && !(trueErr <= kWrongPx);
      const bool disputed = offDataset && contentErr <= kWrongPx;
      const bool acceptedWrong = offDataset && !disputed;
      // A refused model that was right after all: the price of refusing rather than guessing.
      const double refusedErr = !run.ok && run.fit.forward ? bench::modelError(run.fit, run.tiePoints, c, truth).judged() : NAN;
      const bool refusedRight = refusedErr < a.successPx;
      for (auto* ac : {&acc[{group, pl->name()}], &acc[{"all", pl->name()}]}) {
        ac->cases++;
        ac->success += ok;
        ac->acceptedWrong += acceptedWrong;
        ac->refusedRight += refusedRight;
        ac->disputed += disputed;
        ac->err.push_back(run.ok && std::isfinite(met.trueCheckRmse) ? met.trueCheckRmse : INFINITY);
        for (int t = 0; t <= 10; ++t) ac->mma[t].push_back(met.mma[t]);
        ac->nnMap.push_back(met.nnMap);
        ac->rep3.push_back(rep);
        ac->secs.push_back(run.seconds);
        ac->rss.push_back(run.peakRssMb);
      }
      std::fprintf(stderr, "%-34s %-8s %s true_check=%s mma3=%.2f nnmap=%.2f %.1fs %s\n", p.name.c_str(), pl->name().c_str(),
                   acceptedWrong ? "WRONG" : ok ? "ok  " : refusedRight ? "REFUSED-RIGHT" : "FAIL", num(met.trueCheckRmse).c_str(), met.mma[3], met.nnMap, run.seconds,
                   run.error.substr(0, 120).c_str());
      if (csv) {
        std::string err = run.error;
        std::replace(err.begin(), err.end(), '"', '\'');
        csv << p.name << ',' << group << ',' << m.dx << ',' << m.dy << ',' << m.rotationDeg << ',' << m.scale << ',' << pl->name()
            << ',' << ok << ',' << acceptedWrong << ',' << run.verdict << ',' << (run.fit.forward ? mmreg::modelName(run.fit.forward->type()) : "") << ',' << run.tiePoints.size()
            << ',' << run.fit.inlierCount << ',' << run.fit.checkCount << ',' << run.fit.rmseCheck << ',' << met.trueCheckRmse << ','
            << met.trueGridRmse << ',' << refusedErr << ',' << met.mma[1] << ',' << met.mma[3] << ',' << met.mma[5] << ',' << met.mma[10] << ','
            << met.nnMap << ',' << met.ncm3 << ',' << met.cmr3 << ',' << rep << ',' << run.seconds << ',' << run.peakRssMb << ',';
        const auto& v = run.verdictDetail;
        const auto& k = v.confirmation;
        csv << '"' << v.hypothesis << "\"," << k.windows << ',' << k.confirmed << ',' << k.pValue << ',' << k.rankPValue << ',' << k.aggregateOffset.x << ','
            << k.aggregateOffset.y << ',' << k.aggregatePeak << ',' << k.aggregateZ << ',' << k.perturbationMargin << ','
            << k.cellsConfirmed << ',' << v.geometry.worstScaleChange << ',' << v.geometry.worstRotationDeg << ','
            << v.geometry.worstAnisotropy << ',' << v.support.extrapolationPx << ',' << v.support.minInliers << ',' << audit.disputed
            << ',' << audit.disagreementPx << ',' << contentErr << ',' << k.rivalWindows << ',' << k.rivalOffset.x << ','
            << k.rivalOffset.y << ',' << k.rivalPValue << ',' << k.features << ',' << k.confirmedSpanPx << ",\"" << err << "\"\n";
      }
    }
    if (!a.keep)
      for (const auto* k : {&c, &warped}) VSIUnlink(k->reference.c_str()), VSIUnlink(k->sensed.c_str());
  }

  const std::string scaleText = a.scaleOctaves > 0 ? CPLSPrintf("%.2f to %.2f (log-uniform)", std::pow(2.0, -a.scaleOctaves), std::pow(2.0, a.scaleOctaves))
                                                   : CPLSPrintf("+-%.0f%%", 100 * a.maxScale);
  std::printf("\nsplit: %s; misregistration: shift %.0f px, rotation %.1f deg, scale %s, perspective %g/px%s (%s); seed %u\n",
              a.split.c_str(), a.maxShift, a.maxRotation, scaleText.c_str(), a.pixels ? a.maxPerspective : 0.0,
              a.mirrored ? ", mirrored left to right" : "", a.pixels ? "pixels, no georeferencing" : "georeferencing", a.seed);
  std::printf("\n| group | pipeline | cases | success (< %.1f px) | accepted but wrong (> %.0f px) | refused but right |"
              " accepted, dataset truth disputed | median check err (px) |", a.successPx, kWrongPx);
  for (int t : kMmaThresholds) std::printf(" MMA@%dpx |", t);
  std::printf(" NN mAP | repeatability@3px | median s/pair | peak RSS (MB) |\n|---|---|---|---|---|---|---|---|");
  for (size_t i = 0; i < std::size(kMmaThresholds); ++i) std::printf("---|");
  std::printf("---|---|---|---|\n");
  for (auto& [key, ac] : acc)
    if (key.first != "all") printRow(key.first, key.second, ac);
  for (auto& [key, ac] : acc)
    if (key.first == "all") printRow("**all**", key.second, ac);
  for (const auto& pl : pipelines)
    if (!pl->unavailableReason().empty()) std::printf("| all | %s | – | %s |\n", pl->name().c_str(), pl->unavailableReason().c_str());
  std::printf("\nMMA, NN mAP: over each pipeline's final tie-point candidates; repeatability: the pipeline's keypoint\n"
              "detector (area: corner) on the whole preprocessed pair, its strongest keypoints at one per 32 x 32 px\n"
              "(chance alone repeats %.3f at 3 px; – where the pipeline has no detector); peak RSS: of this process\n"
              "during the run (– for OTB, a separate process).\n", bench::chanceRepeatability(3.0));
  return 0;
}
