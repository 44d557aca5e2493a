// End-to-end benchmark: real aligned pairs from ../shared/data, a seeded random misregistration
// each, every chosen matcher on the same cases in one run. Prints one table and writes a CSV.
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "mmreg/coregister.h"
#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/synthetic_case.h"

namespace {

struct Args {
  std::string data = "../shared/data";
  std::vector<std::string> sources{"3mos", "s1s2", "vsff"};
  std::vector<std::string> matchers{"area", "sift"};
  std::vector<std::string> groups;  // empty: all
  int perSource = 12;
  double maxShift = 40, maxRotation = 3, maxScale = 0.03;
  bool pixels = false;
  unsigned seed = 7;
  double successPx = 3.0;
  std::string csv;
  std::string work = "/tmp/mmreg_bench";
  std::string sensedType = "auto";
  std::string coarse = "auto";
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

void usage() {
  std::puts(
      "mmreg_bench [--data DIR] [--sources 3mos,s1s2,vsff,srif,landsat] [--groups G1,G2] [--per-source N]\n"
      "            [--matchers area,sift,orb,akaze] [--max-shift PX] [--max-rotation DEG] [--max-scale F]\n"
      "            [--pixels] [--seed N] [--success PX] [--csv FILE] [--work DIR] [--sensed-type auto|sar|optical]\n"
      "            [--coarse auto|never|always]\n"
      "Builds each case from a real aligned pair with a seeded random misregistration (shift, rotation,\n"
      "scale within the maxima; in the sensed georeferencing, or with --pixels in its pixels, with no\n"
      "georeferencing), runs every matcher on it, and reports the true error of the fitted model at the\n"
      "check points (px), success rate (true check RMSE <= --success), and time per case.");
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--data") a.data = next();
    else if (k == "--sources") a.sources = split(next());
    else if (k == "--groups") a.groups = split(next());
    else if (k == "--matchers") a.matchers = split(next());
    else if (k == "--per-source") a.perSource = std::stoi(next());
    else if (k == "--max-shift") a.maxShift = std::stod(next());
    else if (k == "--max-rotation") a.maxRotation = std::stod(next());
    else if (k == "--max-scale") a.maxScale = std::stod(next());
    else if (k == "--pixels") a.pixels = true;
    else if (k == "--seed") a.seed = static_cast<unsigned>(std::stoul(next()));
    else if (k == "--success") a.successPx = std::stod(next());
    else if (k == "--csv") a.csv = next();
    else if (k == "--work") a.work = next();
    else if (k == "--sensed-type") a.sensedType = next();
    else if (k == "--coarse") a.coarse = next();
    else if (k == "--help" || k == "-h") return usage(), 0;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      usage();
      return 2;
    }
  }
  GDALAllRegister();
  CPLSetConfigOption("CPL_LOG", "/dev/null");
  VSIMkdirRecursive(a.work.c_str(), 0755);

  // Deterministic case list: per source, pairs spread evenly over the (filtered) list.
  std::vector<mmreg::AlignedPair> pairs;
  for (auto& src : a.sources) {
    std::vector<mmreg::AlignedPair> all;
    if (src == "3mos") all = mmreg::load3Mos(a.data + "/3mos");
    else if (src == "s1s2") all = mmreg::loadS1S2(a.data + "/s1s2");
    else if (src == "vsff") all = mmreg::loadVsff(a.data + "/vsff");
    else if (src == "srif") all = mmreg::loadSrif(a.data + "/srif");
    else if (src == "landsat") all = mmreg::loadLandsat(a.data + "/landsat");
    if (!a.groups.empty())
      all.erase(std::remove_if(all.begin(), all.end(), [&](const mmreg::AlignedPair& p) {
                  return std::find(a.groups.begin(), a.groups.end(), p.group) == a.groups.end();
                }), all.end());
    const size_t n = std::min<size_t>(a.perSource, all.size());
    for (size_t k = 0; k < n; ++k) pairs.push_back(all[k * all.size() / n]);
  }
  if (pairs.empty()) {
    std::fprintf(stderr, "no pairs found under %s\n", a.data.c_str());
    return 1;
  }

  std::mt19937 rng(a.seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::ofstream csv;
  if (!a.csv.empty()) {
    csv.open(a.csv);
    csv << "case,group,dx,dy,rotation_deg,scale,matcher,ok,model,candidates,inliers,checks,reported_check_rmse_px,"
           "true_check_rmse_px,true_grid_rmse_px,seconds,error\n";
  }
  struct Acc {
    int cases = 0, success = 0;
    std::vector<double> err, secs;
  };
  std::map<std::string, Acc> acc;
  for (size_t ci = 0; ci < pairs.size(); ++ci) {
    const auto& p = pairs[ci];
    mmreg::Misregistration m;
    const double ang = u(rng) * M_PI;
    const double r = a.maxShift * (0.5 + 0.5 * std::abs(u(rng)));
    m.dx = r * std::cos(ang);
    m.dy = r * std::sin(ang);
    m.rotationDeg = a.maxRotation * u(rng);
    m.scale = 1 + a.maxScale * u(rng);
    mmreg::SyntheticCase c;
    try {
      c = mmreg::buildCase(p, m, a.pixels ? mmreg::MisregistrationMode::Pixels : mmreg::MisregistrationMode::Georeferencing,
                           a.work, "case" + std::to_string(ci));
    } catch (const mmreg::Error& e) {
      std::fprintf(stderr, "skipping %s: %s\n", p.name.c_str(), e.what());
      continue;
    }
    for (auto& matcher : a.matchers) {
      mmreg::CoregisterOptions o;
      o.reference = c.reference;
      o.sensed = c.sensed;
      o.match.matcher = matcher;
      mmreg::parseModality(a.sensedType, &o.match.sensedModality);
      o.match.coarse = a.coarse == "never" ? mmreg::CoarseMode::Never : a.coarse == "always" ? mmreg::CoarseMode::Always
                                                                                             : mmreg::CoarseMode::Auto;
      const auto t0 = std::chrono::steady_clock::now();
      std::string error, model;
      double trueCheck = NAN, trueGrid = NAN, reported = NAN;
      int cands = 0, inl = 0, chk = 0;
      try {
        const auto res = mmreg::coregister(o, nullptr);
        model = mmreg::modelName(res.fit.forward->type());
        cands = static_cast<int>(res.match.tiePoints.size());
        inl = res.fit.inlierCount;
        chk = res.fit.checkCount;
        reported = res.fit.rmseCheck;
        double se = 0;
        int n = 0;
        for (size_t i = 0; i < res.match.tiePoints.size(); ++i)
          if (res.fit.check[i]) {
            const auto s = res.match.tiePoints[i].sensed;
            const auto f = res.fit.forward->apply(s), t = c.truthOf(s);
            se += (f.x - t.x) * (f.x - t.x) + (f.y - t.y) * (f.y - t.y);
            ++n;
          }
        trueCheck = n ? std::sqrt(se / n) : NAN;
        se = 0;
        n = 0;
        for (int j = 0; j <= 10; ++j)
          for (int i = 0; i <= 10; ++i) {
            const mmreg::Point2 s{c.sensedWidth * i / 10.0, c.sensedHeight * j / 10.0};
            const auto f = res.fit.forward->apply(s), t = c.truthOf(s);
            se += (f.x - t.x) * (f.x - t.x) + (f.y - t.y) * (f.y - t.y);
            ++n;
          }
        trueGrid = std::sqrt(se / n);
      } catch (const mmreg::Error& e) {
        error = e.what();
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      auto& ac = acc[matcher];
      ac.cases++;
      ac.secs.push_back(secs);
      const bool ok = error.empty() && std::isfinite(trueCheck) && trueCheck <= a.successPx;
      ac.success += ok;
      ac.err.push_back(error.empty() && std::isfinite(trueCheck) ? trueCheck : 1e9);
      std::fprintf(stderr, "%-32s %-6s %s true_check=%.2f grid=%.2f inliers=%d %.1fs %s\n", p.name.c_str(), matcher.c_str(),
                   ok ? "ok  " : "FAIL", trueCheck, trueGrid, inl, secs, error.substr(0, 90).c_str());
      if (csv)
        csv << p.name << ',' << p.group << ',' << m.dx << ',' << m.dy << ',' << m.rotationDeg << ',' << m.scale << ','
            << matcher << ',' << ok << ',' << model << ',' << cands << ',' << inl << ',' << chk << ',' << reported << ','
            << trueCheck << ',' << trueGrid << ',' << secs << ",\"" << error << "\"\n";
    }
    VSIUnlink(c.reference.c_str());
    VSIUnlink(c.sensed.c_str());
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("\n| matcher | cases | success (true check RMSE <= %.1f px) | median true check RMSE (px) | median s/case |\n",
              a.successPx);
  std::printf("|---|---|---|---|---|\n");
  for (auto& [name, ac] : acc)
    std::printf("| %s | %d | %d (%.0f%%) | %s | %.2f |\n", name.c_str(), ac.cases, ac.success, 100.0 * ac.success / ac.cases,
                median(ac.err) >= 1e8 ? "failed" : CPLSPrintf("%.2f", median(ac.err)), median(ac.secs));
  std::printf("\npeak RSS of the run: %.0f MB\n", ru.ru_maxrss / 1024.0);
  return 0;
}
