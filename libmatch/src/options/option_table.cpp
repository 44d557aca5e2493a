#include "mmreg/option_table.h"

#include <cpl_string.h>
#include <cpl_vsi.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "mmreg/error.h"

namespace mmreg {
namespace {

using O = CoregisterOptions;
using S = const std::string&;

int parseInt(S opt, S v) {
  size_t used = 0;
  long x = 0;
  try {
    x = std::stol(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty() || x < INT_MIN || x > INT_MAX)
    throw Error(opt + " expects a whole number, got '" + v + "'");
  return static_cast<int>(x);
}

double parseNumber(S opt, S v, bool nanAllowed = false) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !(std::isfinite(x) || (nanAllowed && std::isnan(x))))
    throw Error(opt + " expects a number" + (nanAllowed ? " or nan" : "") + ", got '" + v + "'");
  return x;
}

// A nodata value: a number or nan, or one per band as gdalwarp takes them ("0 0 0", "0,0,0"),
// which must then agree: mmreg declares one value on every band.
double parseNodata(S opt, S v) {
  const CPLStringList values(CSLTokenizeString2(v.c_str(), " ,", 0));
  if (values.size() <= 1) return parseNumber(opt, values.size() == 1 ? std::string(values[0]) : v, true);
  const double first = parseNumber(opt, values[0], true);
  for (int i = 1; i < values.size(); ++i) {
    const double x = parseNumber(opt, values[i], true);
    if (!(x == first || (std::isnan(x) && std::isnan(first))))
      throw Error(opt + " '" + v + "' gives the bands different nodata values, and mmreg declares one value on every band; " +
                  "give the one value that marks no data in all bands");
  }
  return first;
}

// The shortest text that reads back as the same number.
std::string numberText(double x) {
  char buf[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

bool parseFlag(S opt, S v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw Error(opt + " expects true or false, got '" + v + "'");
}

std::string joined(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : "|") + p;
  return s;
}

std::string listText(const std::vector<std::string>& items, const char* last) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i == 0 ? "" : i + 1 == items.size() ? last : ", ") + items[i];
  return s;
}

// Declaration helpers: `field` is a generic lambda returning a reference to the bound member,
// so the same lambda serves the setter and the getter.
struct Base {
  std::string cli, qgis, arg, label, help;
  unsigned scope;
  bool advanced;
};

OptionDecl make(const Base& b, OptionKind kind) {
  OptionDecl d;
  d.cli = b.cli;
  d.qgis = b.qgis;
  d.kind = kind;
  d.arg = b.arg;
  d.label = b.label;
  d.help = b.help;
  d.scope = b.scope;
  d.advanced = b.advanced;
  return d;
}

template <class F>
OptionDecl integer(const Base& b, double lo, double hi, F field) {
  auto d = make(b, OptionKind::Integer);
  d.minValue = lo;
  d.maxValue = hi;
  d.set = [field, name = b.cli](O& o, S v) { field(o) = parseInt(name, v); };
  d.get = [field](const O& o) { return std::to_string(field(o)); };
  return d;
}

template <class F>
OptionDecl number(const Base& b, double lo, double hi, F field) {
  auto d = make(b, OptionKind::Number);
  d.minValue = lo;
  d.maxValue = hi;
  d.set = [field, name = b.cli](O& o, S v) { field(o) = parseNumber(name, v); };
  d.get = [field](const O& o) { return numberText(field(o)); };
  return d;
}

// A number that may be left unset (empty: the default the help describes).
template <class F>
OptionDecl optionalNumber(const Base& b, double lo, double hi, F field) {
  auto d = make(b, OptionKind::Number);
  d.minValue = lo;
  d.maxValue = hi;
  d.set = [field, name = b.cli](O& o, S v) { field(o) = parseNumber(name, v); };
  d.get = [field](const O& o) { return field(o) ? numberText(*field(o)) : std::string(); };
  return d;
}

// A nodata value: an optional number that may also be nan, which float rasters use for no data.
template <class F>
OptionDecl nodataNumber(const Base& b, double lo, double hi, F field) {
  auto d = optionalNumber(b, lo, hi, field);
  d.nanAllowed = true;
  d.set = [field, name = b.cli](O& o, S v) { field(o) = parseNodata(name, v); };
  return d;
}

template <class F>
OptionDecl flag(const Base& b, const char* flagValue, F field) {
  auto d = make(b, OptionKind::Flag);
  d.flagValue = flagValue;
  d.set = [field, name = b.cli](O& o, S v) { field(o) = parseFlag(name, v); };
  d.get = [field](const O& o) { return std::string(field(o) ? "true" : "false"); };
  return d;
}

template <class F>
OptionDecl text(const Base& b, OptionKind kind, F field) {
  auto d = make(b, kind);
  d.set = [field](O& o, S v) { field(o) = v; };
  d.get = [field](const O& o) { return field(o); };
  return d;
}

// A choice stored as its name.
template <class F>
OptionDecl namedChoice(const Base& b, std::vector<std::string> choices, F field) {
  auto d = text(b, OptionKind::Choice, field);
  d.choices = std::move(choices);
  return d;
}

// A choice stored as an enum value; `values` pairs each choice with its value.
template <class T, class F>
OptionDecl enumChoice(const Base& b, std::vector<std::pair<std::string, T>> values, F field) {
  auto d = make(b, OptionKind::Choice);
  for (const auto& v : values) d.choices.push_back(v.first);
  // An unknown name is left to checkOptionValue, which lists the choices; the setter keeps the value.
  d.set = [field, values](O& o, S v) {
    for (const auto& [name, value] : values)
      if (name == v) field(o) = value;
  };
  d.get = [field, values](const O& o) {
    for (const auto& [name, value] : values)
      if (value == field(o)) return name;
    return std::string("?");
  };
  return d;
}

template <class F>
OptionDecl bands(const Base& b, const char* parent, F field) {
  auto d = make(b, OptionKind::Bands);
  d.repeatable = true;
  d.parentLayer = parent;
  d.set = [field, name = b.cli](O& o, S v) { field(o).push_back(parseInt(name, v)); };
  d.get = [field](const O& o) {
    std::vector<std::string> parts;
    for (int x : field(o)) parts.push_back(std::to_string(x));
    return joined(parts);
  };
  return d;
}

OptionDecl noQgis(OptionDecl d, const char* why) {
  d.qgis.clear();
  d.qgisWhy = why;
  return d;
}

OptionDecl withExtension(OptionDecl d, const char* ext) {
  d.fileExtension = ext;
  return d;
}

std::vector<OptionDecl> declare() {
  constexpr unsigned M = kScopeMatching, F = kScopeModel, R = kScopeRaster, J = kScopeReport, P = kScopePointsFile,
                     X = kScopeRpcOutput;
  const double kMax = 1e12;
  std::vector<OptionDecl> t;
  // Output raster.
  t.push_back(noQgis(text({"-of", "", "FORMAT", "", "Output raster format (a GDAL driver: GTiff, COG, ...); default: the one the output's extension names, as with gdal_translate (GTiff without one).", R, false},
                          OptionKind::Text, [](auto& o) -> auto& { return o.out.format; }),
                     "the raster destination's file extension chooses the GDAL driver"));
  {
    auto co = make({"-co", "CREATION_OPTIONS", "NAME=VALUE", "Creation options of the output raster (NAME=VALUE, separated by |)",
                    "Creation option for the output raster; may be repeated.", R, true},
                   OptionKind::Text);
    co.repeatable = true;
    co.set = [](O& o, S v) {
      if (v.find('=') == std::string::npos) throw Error("-co expects NAME=VALUE, got '" + v + "'");
      o.out.creationOptions.push_back(v);
    };
    co.get = [](const O& o) { return joined(o.out.creationOptions); };
    t.push_back(co);
  }
  t.push_back(namedChoice({"-r", "RESAMPLING", "METHOD", "Resampling",
                           "Resampling for the warped output (GDAL's warper). Default bilinear.", R, true},
                          // QGIS keeps enum indices: the first six were its original list.
                          {"near", "bilinear", "cubic", "cubicspline", "lanczos", "average", "mode", "rms", "min", "max", "med",
                           "q1", "q3", "sum"},
                          [](auto& o) -> auto& { return o.out.resampling; }));
  // Matching.
  t.push_back(bands({"-b", "SENSED_BANDS", "N", "Sensed band(s) used for matching",
                     "Sensed band used for matching; repeat for several (3 bands: luminance). All bands are still warped.", M, false},
                    "SENSED", [](auto& o) -> auto& { return o.match.sensedBands; }));
  t.push_back(bands({"-refb", "REFERENCE_BANDS", "N", "Reference band(s) used for matching",
                     "Reference band used for matching; may be repeated like -b.", M, false},
                    "REFERENCE", [](auto& o) -> auto& { return o.match.referenceBands; }));
  t.push_back(namedChoice({"-matcher", "MATCHER", "NAME", "Matcher",
                           "Tile matcher: area (default; structural features + FFT), sift, orb, akaze (OpenCV keypoints, "
                           "optical only), learned (the detector's keypoints matched by the cross-fusion head on the learned backbone's "
                           "descriptors).", M, false},
                          {"area", "sift", "orb", "akaze", "learned"}, [](auto& o) -> auto& { return o.match.matcher; }));
  t.push_back(flag({"-norefine", "REFINE", "", "Refine keypoint matches by area correlation (sub-pixel)",
                    "Keep a keypoint matcher's matches (learned, sift, orb, akaze) as found: no area-based sub-pixel refinement.",
                    M, true},
                   "false", [](auto& o) -> auto& { return o.match.refine; }));
  t.push_back(namedChoice({"-detector", "DETECTOR", "NAME", "Template placement (area) or keypoints (sift, orb, learned)",
                           "Where the area matcher places its templates, or whose keypoints -matcher sift/orb/learned match: "
                           "corner (default; strongest corner per cell, or sift/orb's own keypoints), sift, orb, akaze, peakiness (where the structural features peak: the detection "
                           "scores of Li, Han & Ye 2022 without a learned part), peakiness-learned (the same on the learned "
                           "backbone), peakiness-trained (the peakiness with the head's trained part, models/detector_head.pt).", M, true},
                          {"corner", "sift", "orb", "akaze", "peakiness", "peakiness-learned", "peakiness-trained"}, [](auto& o) -> auto& { return o.match.detector; }));
  t.push_back(namedChoice({"-features", "FEATURES", "NAME", "Dense features correlated by the area matcher",
                           "What the area matcher (and the refinement of keypoint matches) correlates: structural "
                           "(default; oriented gradient channels) or learned (the shipped backbone: the same channels plus "
                           "a trained residual). The verdict always confirms on the structural features.", M, true},
                          {"structural", "learned"}, [](auto& o) -> auto& { return o.match.features; }));
  t.push_back(withExtension(text({"-feature_weights", "FEATURE_WEIGHTS", "FILE.pt",
                                  "Learned feature backbone weights (empty: the shipped model)",
                                  "Weights of the learned feature backbone (default: the shipped models/backbone.pt).", M, true},
                                 OptionKind::File, [](auto& o) -> auto& { return o.match.learned.featureWeights; }),
                            "pt"));
  t.push_back(withExtension(text({"-matcher_weights", "MATCHER_WEIGHTS", "FILE.pt",
                                  "Cross-fusion head weights (empty: the shipped model)",
                                  "Weights of the learned matcher's cross-fusion head (default: the shipped models/cross_fusion_head.pt).", M, true},
                                 OptionKind::File, [](auto& o) -> auto& { return o.match.learned.matcherWeights; }),
                            "pt"));
  t.push_back(integer({"-tile_size", "TILE_SIZE", "N", "Tile size (processing pixels)", "Tile size in processing pixels.",
                       M, true},
                      64, 8192, [](auto& o) -> auto& { return o.match.tileSize; }));
  t.push_back(integer({"-margin", "MARGIN", "N", "Search margin (processing pixels)",
                       "Search margin of the first pass, in its processing pixels (at most the tile size).", M, false},
                      4, 8192, [](auto& o) -> auto& { return o.match.searchMargin; }));
  t.push_back(number({"-max_offset", "MAX_OFFSET", "METRES", "Largest georeferencing offset to search (metres; 0: 256 pixels)",
                      "Largest offset of the sensed georeferencing to search, in metres on the ground, whatever the "
                      "reference CRS's units (degrees, feet); 0 (default): 256 reference pixels. The area matcher's first "
                      "pass runs on a coarser level when its margin needs it; "
                      "keypoint matchers search their -margin.", M, true},
                     0, kMax, [](auto& o) -> auto& { return o.match.maxOffset; }));
  t.push_back(withExtension(text({"-dem", "DEM", "FILE", "DEM for RPC georeferencing (heights; any GDAL raster and CRS)",
                                  "DEM giving terrain heights for a sensed raster georeferenced by RPCs: used to place it "
                                  "for matching and, with -rpc_refine, to lift tie points to 3-D.", M, true},
                                 OptionKind::File, [](auto& o) -> auto& { return o.match.dem; }),
                            ""));
  {
    auto height = make({"-rpc_height", "RPC_HEIGHT", "METRES", "Constant height for RPCs without a DEM (empty: the RPC's height offset)",
                        "Constant terrain height for a sensed raster georeferenced by RPCs when there is no -dem (flat ground); "
                        "default the RPC's height offset.", M, true},
                       OptionKind::Number);
    height.minValue = -12000;
    height.maxValue = 10000;
    height.set = [](O& o, S v) { o.match.rpcHeight = parseNumber("-rpc_height", v); };
    height.get = [](const O& o) { return o.match.rpcHeight ? numberText(*o.match.rpcHeight) : std::string(); };
    t.push_back(height);
  }
  t.push_back(integer({"-cache", "CACHE_MB", "MB", "GDAL block cache for the run (MB)",
                       "GDAL's block cache for the run, MB (a GDAL_CACHEMAX given with --config wins).", M, true},
                      16, 1 << 20, [](auto& o) -> auto& { return o.match.cacheMB; }));
  t.push_back(integer({"-max_tiles", "MAX_TILES", "N", "Most tiles matched", "Most tiles matched, spread over the overlap.",
                       M, true},
                      1, 10000, [](auto& o) -> auto& { return o.match.maxTiles; }));
  t.push_back(enumChoice<CoarseMode>({"-coarse", "COARSE", "MODE", "Coarse global pass",
                                      "Coarse global pass on overviews (a correlation search over rotation and scale, then keypoint "
                                      "hypotheses, then both on the sensed image mirrored): auto (default: when the sensed image has no georeferencing or the fine pass "
                                      "fails), always (ignore the sensed georeferencing), never.",
                                      M, true},
                                     {{"auto", CoarseMode::Auto}, {"always", CoarseMode::Always}, {"never", CoarseMode::Never}},
                                     [](auto& o) -> auto& { return o.match.coarse; }));
  t.push_back(enumChoice<Modality>({"-sensed_type", "SENSED_TYPE", "TYPE", "Sensed modality",
                                    "Sensed modality: auto (default; complex or speckled single band is SAR), optical, sar.", M, true},
                                   {{"auto", Modality::Auto}, {"optical", Modality::Optical}, {"sar", Modality::Sar}},
                                   [](auto& o) -> auto& { return o.match.sensedModality; }));
  t.push_back(enumChoice<Modality>({"-ref_type", "REFERENCE_TYPE", "TYPE", "Reference modality",
                                    "Reference modality: auto, optical (default), sar.", M, true},
                                   {{"auto", Modality::Auto}, {"optical", Modality::Optical}, {"sar", Modality::Sar}},
                                   [](auto& o) -> auto& { return o.match.referenceModality; }));
  t.push_back(nodataNumber({"-srcnodata", "SENSED_NODATA", "VALUE", "Nodata value of the sensed raster (empty: its file's)",
                            "Nodata value of the sensed raster, replacing its file's nodata and mask (as gdalwarp -srcnodata): "
                            "for fill the file does not declare, such as the black collar around a scene. Those pixels are "
                            "neither matched nor warped into the output, which declares the same nodata unless -dstnodata "
                            "or -dstalpha says otherwise. nan marks no data in floating-point rasters. One value per band (\"0 0 0\", "
                            "as gdalwarp takes them) is accepted when they agree.",
                            M | R, true},
                           -kMax, kMax, [](auto& o) -> auto& { return o.sensedNodata; }));
  t.push_back(nodataNumber({"-refnodata", "REFERENCE_NODATA", "VALUE", "Nodata value of the reference raster (empty: its file's)",
                            "Nodata value of the reference raster, replacing its file's nodata and mask: for fill the file "
                            "does not declare. Those pixels are not matched.",
                            M | R, true},
                           -kMax, kMax, [](auto& o) -> auto& { return o.referenceNodata; }));
  t.push_back(text({"-s_srs", "SENSED_CRS", "SRS", "CRS of a sensed raster whose georeferencing lacks one",
                    "CRS of a sensed raster whose georeferencing lacks one (EPSG:n, WKT, PROJ string).", M, true},
                   OptionKind::Crs, [](auto& o) -> auto& { return o.match.sensedSrs; }));
  {
    auto threads = integer({"-threads", "THREADS", "N", "Worker threads (0: every core)",
                            "Threads for the coarse pass, tile matching, verification, learned-model inference and the warp; 0 (default) uses every core.", M, true},
                           0, 1024, [](auto& o) -> auto& { return o.match.threads; });
    threads.set = [](O& o, S v) { o.match.threads = o.out.threads = parseInt("-threads", v); };
    t.push_back(threads);
  }
  // Model and verdict.
  t.push_back(enumChoice<ModelType>({"-model", "MODEL", "NAME", "Geometric model",
                                     "Global model: auto (default), translation, similarity, affine, projective, poly2, poly3, tps.",
                                     F, false},
                                    {{"auto", ModelType::Auto},
                                     {"translation", ModelType::Translation},
                                     {"similarity", ModelType::Similarity},
                                     {"affine", ModelType::Affine},
                                     {"projective", ModelType::Projective},
                                     {"poly2", ModelType::Poly2},
                                     {"poly3", ModelType::Poly3},
                                     {"tps", ModelType::Tps}},
                                    [](auto& o) -> auto& { return o.fit.model; }));
  t.push_back(number({"-threshold", "THRESHOLD", "PX", "Inlier threshold (reference pixels)",
                      "Inlier threshold of the robust fit, in reference pixels.", F, true},
                     0.1, 1000, [](auto& o) -> auto& { return o.fit.inlierThreshold; }));
  t.push_back(number({"-check_share", "CHECK_SHARE", "F", "Share of inliers held out as check points",
                      "Share of inliers held out as check points, never fitted (0 to 0.89).", F, true},
                     0, 0.89, [](auto& o) -> auto& { return o.fit.checkShare; }));
  {
    auto seed = integer({"-seed", "SEED", "N", "Seed of the check-point draw and the robust fit",
                         "Seed of the check-point draw and the robust fit.", F, true},
                        0, INT_MAX, [](auto& o) -> auto& { return o.fit.seed; });
    seed.set = [](O& o, S v) {
      const int x = parseInt("-seed", v);
      if (x >= 0) o.fit.seed = static_cast<unsigned>(x);
      else throw Error("-seed " + v + " is out of range; use 0 to " + std::to_string(INT_MAX));
    };
    t.push_back(seed);
  }
  t.push_back(number({"-max_scale_change", "MAX_SCALE_CHANGE", "F", "Verdict: largest scale change (fraction)",
                      "Verdict: largest scale change the model may make against the georeferencing, the pixel sizes or the "
                      "coarse estimate, as a fraction.", F, true},
                     0.001, 10, [](auto& o) -> auto& { return o.verify.maxScaleChange; }));
  t.push_back(number({"-max_rotation", "MAX_ROTATION", "DEG", "Verdict: largest rotation (degrees)",
                      "Verdict: largest rotation against the same prediction, degrees.", F, true},
                     0.001, 180, [](auto& o) -> auto& { return o.verify.maxRotationDeg; }));
  t.push_back(number({"-max_anisotropy", "MAX_ANISOTROPY", "F", "Verdict: largest anisotropy (axis scale ratio)",
                      "Verdict: largest ratio of the model's two axis scales (shear, unequal stretch).", F, true},
                     1, 100, [](auto& o) -> auto& { return o.verify.maxAnisotropy; }));
  t.push_back(flag({"-keep_doubtful", "KEEP_DOUBTFUL", "", "Write a result whose verdict is doubtful",
                    "Write a result whose verdict is doubtful (a failed one never is). By default only verified results are "
                    "written.", F, true},
                   "true", [](auto& o) -> auto& { return o.verify.keepDoubtful; }));
  // Output grid and writing.
  t.push_back(enumChoice<OutputGrid>({"-target", "TARGET", "GRID", "Grid of the warped output",
                                      "Grid of the warped output: ref (default; the reference's extent and pixels) or own "
                                      "(the sensed extent at its own resolution, in the reference CRS).", R, true},
                                     {{"ref", OutputGrid::Reference}, {"own", OutputGrid::Sensed}},
                                     [](auto& o) -> auto& { return o.out.grid; }));
  t.push_back(flag({"-rpc_refine", "RPC_REFINE", "", "Refine the sensed RPCs (write the raster unchanged, RPCs corrected)",
                    "Write the sensed raster unchanged with its RPCs corrected against the reference (bias compensation, "
                    "for gdalwarp -rpc -to RPC_DEM=...), instead of resampling it. Use -dem over relief.", X, false},
                   "true", [](auto& o) -> auto& { return o.out.rpcRefine; }));
  t.push_back(flag({"-georef_only", "GEOREF_ONLY", "", "Georeference only (do not resample)",
                    "Do not resample: write the sensed raster with the fitted geotransform or GCPs attached.", R, false},
                   "true", [](auto& o) -> auto& { return o.out.georefOnly; }));
  t.push_back(nodataNumber({"-dstnodata", "DST_NODATA", "VALUE", "Nodata value of the output (empty: the sensed raster's own)",
                            "Nodata value of the warped output: where the sensed raster has no data (outside its footprint, or "
                            "under its nodata or mask) the output gets this value, declared as its nodata. Default: the sensed "
                            "raster's own nodata; without one those pixels are 0 and not marked (give -dstnodata or -dstalpha). nan "
                            "suits floating-point outputs, whose no-data pixels may already be nan.",
                            R, true},
                           -kMax, kMax, [](auto& o) -> auto& { return o.out.dstNodata; }));
  t.push_back(flag({"-dstalpha", "DST_ALPHA", "", "Add an alpha band (transparent where the sensed raster has no data)",
                    "Add an alpha band to the warped output: 0 where the sensed raster has no data (outside its footprint, "
                    "or under its nodata or mask), 255 where it has.", R, true},
                   "true", [](auto& o) -> auto& { return o.out.dstAlpha; }));
  t.push_back(integer({"-wm", "WARP_MEMORY", "MB", "Warper memory limit (MB)", "Memory limit of the warper in MB.", R, true},
                      16, 1 << 20, [](auto& o) -> auto& { return o.out.warpMemoryMB; }));
  t.push_back(withExtension(text({"-report", "REPORT", "FILE.json", "Report (JSON)",
                                  "Write a JSON report: model, verdict, counts, RMSE, per-tile statistics, times, versions. A run that fails "
                                  "before any model is judged writes it too: the failed verdict and the error.", J, false},
                                 OptionKind::Destination, [](auto& o) -> auto& { return o.out.reportPath; }),
                            "json"));
  t.push_back(withExtension(text({"-html", "HTML", "FILE.html", "Report (HTML, with pictures)",
                                  "Write a self-contained HTML report: overlay checkerboards, tie points coloured by residual, the "
                                  "check-point error histogram, model, verdict, tiles and stage times.", J, false},
                                 OptionKind::Destination, [](auto& o) -> auto& { return o.out.htmlPath; }),
                            "html"));
  t.push_back(withExtension(text({"-tiepoints", "TIE_POINTS", "FILE.gpkg", "Tie points",
                                  "Write the tie points as a point layer with residuals and inlier/check flags, in the vector format "
                                  "its extension names: .gpkg (GeoPackage), .shp, .geojson, .csv, .fgb ...", M | R, false},
                                 OptionKind::Sink, [](auto& o) -> auto& { return o.out.tiePointsPath; }),
                            "gpkg"));
  t.push_back(withExtension(text({"-points", "POINTS_FILE", "FILE.points", "Georeferencer .points file",
                                  "Write the inlier tie points as a QGIS Georeferencer .points file.", P, false},
                                 OptionKind::Destination, [](auto& o) -> auto& { return o.out.pointsPath; }),
                            "points"));
  t.push_back(noQgis(flag({"-overwrite", "", "", "", "Replace outputs that already exist (inputs are never overwritten).", R, false},
                          "true", [](auto& o) -> auto& { return o.out.overwrite; }),
                     "Processing asks before it replaces a destination, and always overwrites"));
  return t;
}

}  // namespace

const std::vector<OptionDecl>& optionTable() {
  static const std::vector<OptionDecl> table = declare();
  return table;
}

const OptionDecl* findOption(const std::string& cliName) {
  for (const auto& d : optionTable())
    if (d.cli == cliName) return &d;
  return nullptr;
}

std::string defaultValue(const OptionDecl& d) { return d.get(CoregisterOptions{}); }

std::string joinedChoices(const OptionDecl& d) { return listText(d.choices, " or "); }

std::string rangeText(const OptionDecl& d) { return numberText(d.minValue) + " to " + numberText(d.maxValue); }

void checkOptionValue(const OptionDecl& d, const std::string& value) {
  // A missing file is a typo to report, even where the option would not be used (-dem for a
  // sensed raster without RPCs); a connection string ("GPKG:dem.gpkg:heights") is GDAL's to open.
  VSIStatBufL st;
  if (d.kind == OptionKind::File && !value.empty() && value.find(':') == std::string::npos && VSIStatL(value.c_str(), &st) != 0)
    throw Error("the file given to " + d.cli + ", '" + value + "', does not exist; check the path");
  if (d.kind == OptionKind::Choice) {
    for (const auto& c : d.choices)
      if (c == value) return;
    throw Error(d.cli + " expects " + joinedChoices(d) + ", got '" + value + "'");
  }
  if (d.kind != OptionKind::Integer && d.kind != OptionKind::Number) return;
  if (value.empty()) return;  // an optional number left unset
  const double x = d.nanAllowed ? parseNodata(d.cli, value) : parseNumber(d.cli, value);
  if (std::isnan(x)) return;  // allowed, or parseNumber would have thrown
  if (!(x >= d.minValue && x <= d.maxValue)) throw Error(d.cli + " " + value + " is out of range; use " + rangeText(d));
}

void checkDeclaredValues(const CoregisterOptions& o) {
  for (const auto& d : optionTable()) checkOptionValue(d, d.get(o));
}

}  // namespace mmreg
