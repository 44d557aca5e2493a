#include "mmreg_lib.h"

#include <cpl_error.h>

#include <cmath>
#include <functional>
#include <sstream>

#include "mmreg/error.h"
#include "mmreg/learned_models.h"

namespace {

// Each option is declared once: its name, argument, help, and how it sets the options object.
struct OptionSpec {
  const char* name;
  const char* arg;  // nullptr for a flag
  const char* help;
  std::function<void(MmregAppOptions&, const std::string&)> set;
};

int toInt(const std::string& opt, const std::string& v) {
  size_t used = 0;
  int x = 0;
  try {
    x = std::stoi(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw mmreg::Error(opt + " expects a whole number, got '" + v + "'");
  return x;
}

double toDouble(const std::string& opt, const std::string& v) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !std::isfinite(x)) throw mmreg::Error(opt + " expects a number, got '" + v + "'");
  return x;
}

const std::vector<OptionSpec>& optionTable() {
  using O = MmregAppOptions;
  using S = const std::string&;
  static const std::vector<OptionSpec> table = {
      {"-of", "FORMAT", "Output raster format (a GDAL driver: GTiff, COG, VRT, ...). Default GTiff.",
       [](O& o, S v) { o.job.out.format = v; }},
      {"-co", "NAME=VALUE", "Creation option for the output raster; may be repeated.",
       [](O& o, S v) {
         if (v.find('=') == std::string::npos) throw mmreg::Error("-co expects NAME=VALUE, got '" + v + "'");
         o.job.out.creationOptions.push_back(v);
       }},
      {"-r", "METHOD", "Resampling for the warped output: near, bilinear (default), cubic, cubicspline, lanczos, average, mode.",
       [](O& o, S v) { o.job.out.resampling = v; }},
      {"-b", "N", "Sensed band used for matching; repeat for several (3 bands: luminance). All bands are still warped.",
       [](O& o, S v) { o.job.match.sensedBands.push_back(toInt("-b", v)); }},
      {"-refb", "N", "Reference band used for matching; may be repeated like -b.",
       [](O& o, S v) { o.job.match.referenceBands.push_back(toInt("-refb", v)); }},
      {"-matcher", "NAME", "Tile matcher: area (default; structural features + FFT), learned (learned detector + "
                           "cross-fusion network), sift, orb, akaze.",
       [](O& o, S v) { o.job.match.matcher = v; }},
      {"-norefine", nullptr, "Keep a keypoint matcher's matches (learned, sift, orb, akaze) as found: no area-based "
                             "sub-pixel refinement.",
       [](O& o, S) { o.job.match.refine = false; }},
      {"-detector", "NAME", "Where the area matcher places its templates, or whose keypoints -matcher sift/orb describe: "
                            "corner (default; strongest corner per cell, or sift/orb's own keypoints), learned (the shipped "
                            "detection network), sift, orb, akaze.",
       [](O& o, S v) { o.job.match.detector = v; }},
      {"-weights", "FILE.pt", "Weights of the learned detector (default: the shipped models/detector.pt).",
       [](O& o, S v) { o.job.match.learned.weights = v; }},
      {"-matcher_weights", "FILE.pt", "Weights of the cross-fusion matcher (default: the shipped models/matcher.pt).",
       [](O& o, S v) { o.job.match.learned.matcherWeights = v; }},
      {"-model", "NAME", "Global model: auto (default), translation, similarity, affine, projective, poly2, poly3, tps.",
       [](O& o, S v) {
         if (!mmreg::parseModelType(v, &o.job.fit.model))
           throw mmreg::Error("unknown model '" + v + "'; use auto, translation, similarity, affine, projective, poly2, poly3 or tps");
       }},
      {"-tile_size", "N", "Tile size in processing pixels. Default 512.",
       [](O& o, S v) { o.job.match.tileSize = toInt("-tile_size", v); }},
      {"-margin", "N", "Search margin of the first pass, in its processing pixels. Default 64.",
       [](O& o, S v) { o.job.match.searchMargin = toInt("-margin", v); }},
      {"-max_offset", "DIST", "Largest offset of the sensed georeferencing to search, in reference CRS units (metres). "
                              "Default: 256 reference pixels. The area matcher's first pass runs on a coarser level when its "
                              "margin needs it; keypoint matchers search their -margin.",
       [](O& o, S v) { o.job.match.maxOffset = toDouble("-max_offset", v); }},
      {"-max_tiles", "N", "Most tiles matched, spread over the overlap. Default 36.",
       [](O& o, S v) { o.job.match.maxTiles = toInt("-max_tiles", v); }},
      {"-threshold", "PX", "Inlier threshold of the robust fit, in reference pixels. Default 3.",
       [](O& o, S v) { o.job.fit.inlierThreshold = toDouble("-threshold", v); }},
      {"-check_share", "F", "Share of inliers held out as check points, never fitted. Default 0.2.",
       [](O& o, S v) { o.job.fit.checkShare = toDouble("-check_share", v); }},
      {"-seed", "N", "Seed of the check-point draw and the robust fit. Default 1.",
       [](O& o, S v) { o.job.fit.seed = static_cast<unsigned>(toInt("-seed", v)); }},
      {"-max_scale_change", "F", "Verdict: largest scale change the model may make against the georeferencing, the pixel "
                                 "sizes or the coarse estimate, as a fraction. Default 0.15.",
       [](O& o, S v) { o.job.verify.maxScaleChange = toDouble("-max_scale_change", v); }},
      {"-max_rotation", "DEG", "Verdict: largest rotation against the same prediction, degrees. Default 15.",
       [](O& o, S v) { o.job.verify.maxRotationDeg = toDouble("-max_rotation", v); }},
      {"-max_anisotropy", "F", "Verdict: largest ratio of the model's two axis scales (shear, unequal stretch). Default 1.15.",
       [](O& o, S v) { o.job.verify.maxAnisotropy = toDouble("-max_anisotropy", v); }},
      {"-keep_doubtful", nullptr, "Write a result whose verdict is doubtful (a failed one never is). By default only "
                                  "verified results are written.",
       [](O& o, S) { o.job.verify.keepDoubtful = true; }},
      {"-coarse", "MODE", "Coarse global pass on overviews: auto (default: when the sensed image has no georeferencing "
                          "or the fine pass fails), always (ignore the sensed georeferencing), never.",
       [](O& o, S v) {
         if (v == "auto") o.job.match.coarse = mmreg::CoarseMode::Auto;
         else if (v == "always") o.job.match.coarse = mmreg::CoarseMode::Always;
         else if (v == "never") o.job.match.coarse = mmreg::CoarseMode::Never;
         else throw mmreg::Error("-coarse expects auto, always or never, got '" + v + "'");
       }},
      {"-sensed_type", "TYPE", "Sensed modality: auto (default; complex or speckled single band is SAR), sar, optical.",
       [](O& o, S v) {
         if (!mmreg::parseModality(v, &o.job.match.sensedModality))
           throw mmreg::Error("-sensed_type expects auto, sar or optical, got '" + v + "'");
       }},
      {"-ref_type", "TYPE", "Reference modality: optical (default), sar, auto.",
       [](O& o, S v) {
         if (!mmreg::parseModality(v, &o.job.match.referenceModality))
           throw mmreg::Error("-ref_type expects auto, sar or optical, got '" + v + "'");
       }},
      {"-s_srs", "SRS", "CRS of a sensed raster whose georeferencing lacks one (EPSG:n, WKT, PROJ string).",
       [](O& o, S v) { o.job.match.sensedSrs = v; }},
      {"-target", "GRID", "Grid of the warped output: ref (default; the reference's extent and pixels) or own "
                          "(the sensed extent at its own resolution, in the reference CRS).",
       [](O& o, S v) {
         if (v == "ref") o.job.out.grid = mmreg::OutputGrid::Reference;
         else if (v == "own") o.job.out.grid = mmreg::OutputGrid::Sensed;
         else throw mmreg::Error("-target expects ref or own, got '" + v + "'");
       }},
      {"-georef_only", nullptr, "Do not resample: write the sensed raster with the fitted geotransform or GCPs attached.",
       [](O& o, S) { o.job.out.georefOnly = true; }},
      {"-wm", "MB", "Memory limit of the warper in MB. Default 256.",
       [](O& o, S v) { o.job.out.warpMemoryMB = toInt("-wm", v); }},
      {"-threads", "N", "Worker threads for tile matching and learned-model inference; 0 (default) uses every core.",
       [](O& o, S v) { o.job.match.threads = o.job.match.learned.threads = toInt("-threads", v); }},
      {"-report", "FILE.json", "Write a JSON report: model, counts, RMSE, per-tile statistics, times, versions.",
       [](O& o, S v) { o.job.out.reportPath = v; }},
      {"-tiepoints", "FILE.gpkg", "Write the tie points as a GeoPackage layer with residuals and inlier/check flags.",
       [](O& o, S v) { o.job.out.tiePointsPath = v; }},
      {"-points", "FILE.points", "Write the inlier tie points as a QGIS Georeferencer .points file.",
       [](O& o, S v) { o.job.out.pointsPath = v; }},
      {"-overwrite", nullptr, "Replace outputs that already exist (inputs are never overwritten).",
       [](O& o, S) { o.job.out.overwrite = true; }},
      {"-q", nullptr, "Quiet: no progress bar.", [](O& o, S) { o.quiet = true; }},
  };
  return table;
}

}  // namespace

std::string MmregUsage() {
  std::ostringstream s;
  s << "Usage: mmreg [--help] [--version] [--config KEY VALUE]... [options] <reference> <sensed> <output>\n\n"
    << "Co-registers the sensed raster (e.g. SAR) onto the georeferenced reference raster (e.g. optical)\n"
    << "and writes the sensed raster resampled onto the reference grid (or, with -georef_only, with the\n"
    << "fitted georeferencing attached). <output> may be '-' for no raster (tie points / report only).\n\n"
    << "Options:\n";
  for (auto& o : optionTable()) {
    std::string head = std::string("  ") + o.name + (o.arg ? std::string(" ") + o.arg : "");
    s << head << (head.size() < 24 ? std::string(24 - head.size(), ' ') : "\n" + std::string(24, ' ')) << o.help << "\n";
  }
  s << "\nExit status: 0 success, 1 failure, 2 usage error.\n";
  return s.str();
}

std::unique_ptr<MmregAppOptions> MmregAppOptionsNew(const std::vector<std::string>& args, std::string* error) {
  auto opts = std::make_unique<MmregAppOptions>();
  std::vector<std::string> positional;
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a.size() > 1 && a[0] == '-') {
        const OptionSpec* spec = nullptr;
        for (auto& o : optionTable())
          if (a == o.name) spec = &o;
        if (!spec) throw mmreg::Error("unknown option '" + a + "'; see mmreg --help");
        if (spec->arg && i + 1 >= args.size()) throw mmreg::Error(a + " needs a value (" + spec->arg + ")");
        spec->set(*opts, spec->arg ? args[++i] : std::string());
      } else {
        positional.push_back(a);
      }
    }
    if (positional.size() != 3)
      throw mmreg::Error("expected <reference> <sensed> <output>, got " + std::to_string(positional.size()) +
                         " file argument(s); see mmreg --help");
  } catch (const mmreg::Error& e) {
    *error = e.what();
    return nullptr;
  }
  opts->job.reference = positional[0];
  opts->job.sensed = positional[1];
  opts->job.out.output = positional[2] == "-" ? "" : positional[2];
  return opts;
}

int MmregRun(const MmregAppOptions& o, GDALProgressFunc progress, void* data) {
  mmreg::ProgressFn fn;
  if (progress) fn = [&](double f, const char* msg) { return progress(f, msg, data) != FALSE; };
  try {
    mmreg::registerLearnedModels();
    const auto r = mmreg::coregister(o.job, fn);
    if (!o.quiet) {
      std::printf("verdict: %s (search start: %s)\n", r.verdict.summary().c_str(), r.verdict.hypothesis.c_str());
      std::printf("model: %s, tie points: %zu candidates, %d inliers, %d check points\n",
                  mmreg::modelName(r.fit.forward->type()), r.match.tiePoints.size(), r.fit.inlierCount, r.fit.checkCount);
      std::printf("RMSE fit: %.3f px (%.2f m); check points: %.3f px (%.2f m)\n", r.fit.rmseFit,
                  r.fit.rmseFit * r.referencePixelSize, r.fit.rmseCheck, r.fit.rmseCheck * r.referencePixelSize);
    }
    return 0;
  } catch (const mmreg::Cancelled&) {
    CPLError(CE_Failure, CPLE_UserInterrupt, "mmreg: cancelled; no output was written");
  } catch (const mmreg::Error& e) {
    CPLError(CE_Failure, CPLE_AppDefined, "mmreg: %s", e.what());
  } catch (const std::exception& e) {
    CPLError(CE_Failure, CPLE_AppDefined, "mmreg: unexpected failure: %s; please report it with the command line", e.what());
  }
  return 1;
}
