// mmreg_bench_hypotheses: how often each content search proposes the right alignment on
// unreferenced pairs (issue 12: "measure whether [a rotation-invariant feature stage] beats the
// exhaustive search"). The cases are mmreg_bench's with --pixels (same pairs, same seeded
// draws for the same --sources, --groups, --per-group and ranges); for each, the exhaustive
// correlation search (coarse pass) and the keypoint hypotheses run on the pipeline's own
// overviews, and every hypothesis is compared with the truth. A hypothesis is right when it
// puts the sensed centre within the reach the fine passes search from it, its rotation within
// 5 degrees and its scale within 15 %: what the fine passes need to take it from there.
#include <cpl_conv.h>
#include <gdal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "command_line.h"
#include "mmreg/error.h"
#include "mmreg/process_memory.h"
#include "mmreg/synthetic_case.h"
#include "pair_selection.h"
#include "pipeline/coarse_alignment.h"
#include "pipeline/feature_hypotheses.h"
#include "pipeline/match_context.h"

namespace {

struct Args {
  std::string data = "../shared/data", splitsFile = MMREG_DEFAULT_SPLITS, split = "all", work = "/tmp/mmreg_bench_hypotheses";
  std::vector<std::string> sources{"srif"}, groups;
  int perGroup = 10;
  unsigned seed = 7;
  bench::MisregistrationRange range{40, 180, 0.03, 0, 1, true};
  mmreg::FeatureHypothesisOptions keypoints;
  int keypointOverview = 512;  // longest side of the keypoint search's overviews (the pipeline's)
  bool correlation = true;
  bool each = false;  // print every hypothesis against the truth
};

const char* kUsage =
    "mmreg_bench_hypotheses [--data DIR] [--split all|test|validation|train] [--sources srif,...] [--groups G1,G2]\n"
    "                       [--per-group N] [--seed N] [--max-shift PX] [--max-rotation DEG] [--scale-octaves N] [--work DIR]\n"
    "                       [--no-correlation] [--keypoints N] [--patch-radius SHARE] [--tolerance PX] [--min-agreeing N]\n"
    "                       [--agree-rotation DEG] [--agree-scale RATIO] [--max-hypotheses N]\n"
    "                       [--keypoint-overview PX] [--each]\n"
    "The cases of mmreg_bench --pixels with the same arguments. Per group: how many cases each search\n"
    "proposes the right alignment for (first hypothesis / any), hypotheses per case and seconds per case.\n"
    "--each: before each case's line, every hypothesis against the truth: its rotation and scale error,\n"
    "how far it puts the sensed centre (reference px), and the reach the fine passes search from it.\n";

struct Tally {
  int cases = 0, correlationFirst = 0, correlationAny = 0, keypointFirst = 0, keypointAny = 0, either = 0;
  double correlationHypotheses = 0, keypointHypotheses = 0, correlationSeconds = 0, keypointSeconds = 0;
};

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// How far `a` is from the truth at the sensed centre (see the file comment).
struct HypothesisError {
  double centrePx, rotationDeg, scaleRatio;
};
HypothesisError errorOf(const mmreg::CoarseAlignment& a, const mmreg::SyntheticCase& c) {
  const mmreg::Point2 centre{c.sensedWidth / 2.0, c.sensedHeight / 2.0};
  const mmreg::Point2 t = c.truthOf(centre), h = a.forward->apply(centre);
  // The truth's local linear part, against the hypothesis's.
  const mmreg::Point2 tx = c.truthOf({centre.x + 1, centre.y}), ty = c.truthOf({centre.x, centre.y + 1});
  const auto m = a.forward->affineMatrix();
  const double truthAngle = std::atan2(tx.y - t.y, tx.x - t.x), angle = std::atan2(m[3], m[0]);
  const double truthScale = std::sqrt(std::abs((tx.x - t.x) * (ty.y - t.y) - (ty.x - t.x) * (tx.y - t.y)));
  const double scale = std::sqrt(std::abs(m[0] * m[4] - m[1] * m[3]));
  return {std::hypot(t.x - h.x, t.y - h.y), std::remainder(angle - truthAngle, 2 * M_PI) * 180 / M_PI, scale / truthScale};
}

bool right(const HypothesisError& e, double reach) {
  return e.centrePx <= reach && std::abs(e.rotationDeg) <= 5 && std::abs(std::log(e.scaleRatio)) <= std::log(1.15);
}

}  // namespace

int main(int argc, char** argv) {
  mmreg::keepFreedMemoryForReuse();  // as the CLI does: the times are the CLI's
  Args a;
  const auto done = bench::CommandLine("mmreg_bench_hypotheses", kUsage)
                        .text("--data", a.data)
                        .text("--split", a.split)
                        .list("--sources", a.sources)
                        .list("--groups", a.groups)
                        .integer("--per-group", a.perGroup)
                        .seed("--seed", a.seed)
                        .number("--max-shift", a.range.maxShift)
                        .number("--max-rotation", a.range.maxRotation)
                        .number("--scale-octaves", a.range.scaleOctaves)
                        .text("--work", a.work)
                        .flag("--no-correlation", a.correlation, false)
                        .integer("--keypoints", a.keypoints.keypoints)
                        .number("--patch-radius", a.keypoints.patchRadius)
                        .number("--tolerance", a.keypoints.tolerancePx)
                        .integer("--min-agreeing", a.keypoints.minAgreeing)
                        .integer("--max-hypotheses", a.keypoints.maxHypotheses)
                        .number("--agree-rotation", a.keypoints.agreeRotationDeg)
                        .number("--agree-scale", a.keypoints.agreeScale)
                        .integer("--keypoint-overview", a.keypointOverview)
                        .flag("--each", a.each)
                        .parse(argc, argv);
  if (done) return *done;
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  VSIMkdirRecursive(a.work.c_str(), 0755);
  std::vector<mmreg::AlignedPair> pairs;
  try {
    for (auto& [g, list] : bench::pairsByGroup(a.data, a.splitsFile, a.split, a.sources, a.groups))
      for (auto& p : bench::spreadEvenly(list, a.perGroup)) pairs.push_back(p);
  } catch (const mmreg::Error& e) {
    return std::fprintf(stderr, "mmreg_bench_hypotheses: %s\n", e.what()), 1;
  }
  std::mt19937 rng(a.seed);
  std::map<std::string, Tally> tally;
  const mmreg::ProgressFn none;
  const mmreg::ProgressSpan progress(none, 0, 1);
  for (size_t ci = 0; ci < pairs.size(); ++ci) {
    const auto& p = pairs[ci];
    const mmreg::Misregistration m = bench::drawMisregistration(rng, a.range);
    try {
      const auto c = mmreg::buildCase(p, m, mmreg::MisregistrationMode::Pixels, a.work, "case" + std::to_string(ci));
      const auto ref = mmreg::GeoRaster::open(c.reference), sen = mmreg::GeoRaster::open(c.sensed);
      const mmreg::MatchOptions options;
      const mmreg::MatchContext context = mmreg::makeMatchContext(ref, sen, options);
      auto t0 = std::chrono::steady_clock::now();
      const mmreg::Overviews coarse = mmreg::readOverviews(context, 0, 256);
      std::vector<mmreg::CoarseAlignment> byCorrelation;
      if (a.correlation) try {
        byCorrelation = mmreg::coarseAlign(coarse.ref, coarse.refScale, coarse.sen, coarse.senScale, {}, progress);
      } catch (const mmreg::Error&) {
      }
      const double correlationSeconds = seconds(t0);
      t0 = std::chrono::steady_clock::now();
      const mmreg::Overviews fine = mmreg::readOverviews(context, 0, a.keypointOverview);
      const auto byKeypoints = mmreg::featureHypotheses(fine.ref, fine.refScale, fine.sen, fine.senScale, a.keypoints);
      const double keypointSeconds = seconds(t0);
      // The pipeline's reach from such a start, at the scale of the truth.
      const double reach = mmreg::contentStartReach(coarse.refScale, std::hypot(c.sensedWidth, c.sensedHeight) / m.scale);
      Tally& t = tally[p.source + "/" + p.group];
      ++t.cases;
      int firstRight[2] = {-1, -1};
      const std::vector<mmreg::CoarseAlignment>* searches[2] = {&byCorrelation, &byKeypoints};
      for (int s = 0; s < 2; ++s)
        for (size_t k = 0; k < searches[s]->size(); ++k) {
          const HypothesisError e = errorOf((*searches[s])[k], c);
          if (a.each)
            std::printf("  %s %zu: rotation off %6.1f deg, scale off x%.3f, centre off %6.1f px (reach %.1f)%s\n",
                        s == 0 ? "correlation" : "keypoints  ", k + 1, e.rotationDeg, e.scaleRatio, e.centrePx, reach,
                        right(e, reach) ? ", right" : "");
          if (firstRight[s] < 0 && right(e, reach)) firstRight[s] = static_cast<int>(k);
        }
      t.correlationFirst += firstRight[0] == 0, t.correlationAny += firstRight[0] >= 0;
      t.keypointFirst += firstRight[1] == 0, t.keypointAny += firstRight[1] >= 0;
      t.either += firstRight[0] >= 0 || firstRight[1] >= 0;
      t.correlationHypotheses += byCorrelation.size(), t.keypointHypotheses += byKeypoints.size();
      t.correlationSeconds += correlationSeconds, t.keypointSeconds += keypointSeconds;
      std::printf("%-30s rotation %7.1f scale %.2f  correlation %s (%zu)  keypoints %s (%zu, best %d agree)  %.1f s / %.1f s\n",
                  p.name.c_str(), m.rotationDeg, m.scale, firstRight[0] < 0 ? "-" : std::to_string(firstRight[0] + 1).c_str(),
                  byCorrelation.size(), firstRight[1] < 0 ? "-" : std::to_string(firstRight[1] + 1).c_str(), byKeypoints.size(),
                  byKeypoints.empty() ? 0 : byKeypoints[0].agreeingParts, correlationSeconds, keypointSeconds);
      std::fflush(stdout);
    } catch (const mmreg::Error& e) {
      std::fprintf(stderr, "skipping %s: %s\n", p.name.c_str(), e.what());
    }
  }
  std::printf("\n| group | cases | correlation right: first / any | keypoints right: first / any | either | hypotheses per case: correlation / keypoints | s per case: correlation / keypoints |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& [g, t] : tally)
    std::printf("| %s | %d | %d / %d | %d / %d | %d | %.1f / %.1f | %.2f / %.2f |\n", g.c_str(), t.cases, t.correlationFirst, t.correlationAny,
                t.keypointFirst, t.keypointAny, t.either, t.correlationHypotheses / t.cases, t.keypointHypotheses / t.cases,
                t.correlationSeconds / t.cases, t.keypointSeconds / t.cases);
  std::printf("\nseed %u; shift up to %.0f px, rotation up to %.0f deg, scale 2^+-%.1f; right: centre within the fine passes' reach,\n"
              "rotation within 5 deg, scale within 15 %%\n", a.seed, a.range.maxShift, a.range.maxRotation, a.range.scaleOctaves);
  return 0;
}
