#include <cpl_json.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <cmath>
#include <opencv2/core/version.hpp>

#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/outputs.h"

namespace mmreg {
namespace {

double finiteOr(double v, double fallback) { return std::isfinite(v) ? v : fallback; }

CPLJSONArray strings(const std::vector<std::string>& v) {
  CPLJSONArray a;
  for (const auto& s : v) a.Add(s);
  return a;
}

// The verdict and the numbers behind it (docs/ALGORITHM.md, "Verdict").
CPLJSONObject verdictJson(const Verdict& v) {
  CPLJSONObject j;
  j.Add("level", verdictName(v.level));
  j.Add("reasons", strings(v.reasons));
  if (!v.advice.empty()) j.Add("advice", v.advice);
  j.Add("search_start", v.hypothesis);
  if (!v.otherStarts.empty()) j.Add("other_starts", strings(v.otherStarts));
  CPLJSONObject s;
  s.Add("inliers", v.support.inliers);
  s.Add("min_inliers", v.support.minInliers);
  s.Add("cells_occupied_of_9", v.support.cellsOccupied);
  s.Add("hull_share", v.support.hullShare);
  s.Add("extrapolation_px", finiteOr(v.support.extrapolationPx, -1));
  s.Add("check_min_distance_px", v.support.checkMinDistancePx);
  s.Add("check_median_distance_px", v.support.checkMedianDistancePx);
  j.Add("support", s);
  CPLJSONObject g;
  g.Add("prior", v.geometry.prior);
  g.Add("worst_scale_change", finiteOr(v.geometry.worstScaleChange, -1));
  g.Add("worst_rotation_deg", v.geometry.worstRotationDeg);
  g.Add("worst_anisotropy", finiteOr(v.geometry.worstAnisotropy, -1));
  g.Add("mirrored", v.geometry.mirrored);
  g.Add("scale_change_limit", v.geometry.scaleLimit);
  g.Add("rotation_limit_deg", v.geometry.rotationLimitDeg);
  g.Add("anisotropy_limit", v.geometry.anisotropyLimit);
  j.Add("geometry", g);
  CPLJSONObject c;
  const auto& k = v.confirmation;
  c.Add("features", k.features);
  c.Add("window_px", k.windowSize);
  c.Add("search_radius_px", k.margin);
  c.Add("windows", k.windows);
  c.Add("confirmed", k.confirmed);
  c.Add("tolerance_px", k.tolerancePx);
  c.Add("chance_share", k.chance);
  c.Add("p_value", k.pValue);
  c.Add("rank_p_value", k.rankPValue);
  c.Add("cells_confirmed_of_9", k.cellsConfirmed);
  CPLJSONArray off;
  off.Add(finiteOr(k.aggregateOffset.x, -999));
  off.Add(finiteOr(k.aggregateOffset.y, -999));
  c.Add("mean_correlation_peak_offset_px", off);
  c.Add("mean_correlation_peak", k.aggregatePeak);
  c.Add("mean_correlation_z_at_model", k.aggregateZ);
  c.Add("perturbation_margin", finiteOr(k.perturbationMargin, -1));
  CPLJSONObject rival;
  rival.Add("windows", k.rivalWindows);
  CPLJSONArray rivalOff;
  rivalOff.Add(k.rivalOffset.x);
  rivalOff.Add(k.rivalOffset.y);
  rival.Add("offset_px", rivalOff);
  rival.Add("p_value", k.rivalPValue);
  c.Add("rival_alignment", rival);
  c.Add("confirmed_span_px", finiteOr(k.confirmedSpanPx, -1));  // -1: the confirmed windows cannot fix a linear model
  j.Add("confirmation", c);
  return j;
}

// The job: its files, matcher, detector and features.
void addJob(CPLJSONObject& root, const CoregisterOptions& o) {
  root.Add("reference", o.reference);
  root.Add("sensed", o.sensed);
  root.Add("output", o.out.output);
  root.Add("matcher", o.match.matcher);
  const bool learnedMatcher = o.match.matcher == "learned";
  std::string detector = o.match.detector;
  if (o.match.matcher != "area" && !learnedMatcher && detector == "corner") detector = o.match.matcher;  // a keypoint matcher's own
  root.Add("detector", detector);
  if (learnedMatcher)
    root.Add("matcher_weights",
             o.match.learned.matcherWeights.empty() ? shippedModelPath("cross_fusion_head.pt") : o.match.learned.matcherWeights);
  if (o.match.matcher != "area") root.Add("refined", o.match.refine);
  root.Add("features", o.match.features);
  if (o.match.features == "learned" || learnedMatcher)  // the learned matcher reads the backbone's descriptors
    root.Add("feature_weights", o.match.learned.featureWeights.empty() ? shippedModelPath("backbone.pt") : o.match.learned.featureWeights);
}

void addVersions(CPLJSONObject& root) {
  int pj[3];
  OSRGetPROJVersion(&pj[0], &pj[1], &pj[2]);
  CPLJSONObject ver;
  ver.Add("mmreg", versionString());
  ver.Add("gdal", GDALVersionInfo("RELEASE_NAME"));
  ver.Add("proj", std::to_string(pj[0]) + "." + std::to_string(pj[1]) + "." + std::to_string(pj[2]));
  ver.Add("opencv", CV_VERSION);
  root.Add("versions", ver);
}

void save(CPLJSONDocument& doc, const std::string& path) {
  if (!doc.Save(path)) throw Error("cannot write the report '" + path + "'; check the folder is writable");
}

}  // namespace

void writeReportJson(const CoregisterOptions& o, const CoregisterResult& r, const std::string& path) {
  CPLJSONDocument doc;
  CPLJSONObject root = doc.GetRoot();
  addJob(root, o);
  root.Add("sensed_modality", r.match.sensedModality);
  root.Add("sensed_decibels", r.match.sensedDecibels);
  root.Add("reference_decibels", r.match.referenceDecibels);
  CPLJSONArray refBands, senBands;
  for (int b : r.match.referenceBands) refBands.Add(b);
  for (int b : r.match.sensedBands) senBands.Add(b);
  root.Add("reference_bands", refBands);
  root.Add("sensed_bands", senBands);
  root.Add("coarse_pass_used", r.match.coarseUsed);
  root.Add("processing_scale", r.match.processingScale);

  CPLJSONObject model;
  model.Add("type", modelName(r.fit.forward->type()));
  model.Add("requested", modelName(o.fit.model));
  model.Add("maps", "sensed pixel (col,row) -> reference pixel (col,row)");
  CPLJSONArray params;
  for (double p : r.fit.forward->parameters()) params.Add(p);
  model.Add("parameters", params);
  CPLJSONArray cands;
  for (auto& c : r.fit.candidates) {
    CPLJSONObject k;
    k.Add("type", modelName(c.type));
    k.Add("cv_rmse_px", finiteOr(c.cvRmse, -1));
    k.Add("plausible", c.plausible);
    cands.Add(k);
  }
  model.Add("auto_choice", cands);
  root.Add("model", model);

  int tilesMatched = 0, tilesSkipped = 0;
  for (auto& t : r.match.tiles) (t.skipped.empty() ? tilesMatched : tilesSkipped) += 1;
  CPLJSONObject counts;
  counts.Add("tiles_matched", tilesMatched);
  counts.Add("tiles_skipped", tilesSkipped);
  counts.Add("candidates", static_cast<int>(r.match.tiePoints.size()));
  counts.Add("inliers", r.fit.inlierCount);
  counts.Add("check_points", r.fit.checkCount);
  root.Add("counts", counts);

  CPLJSONObject acc;
  acc.Add("rmse_fit_px", r.fit.rmseFit);
  acc.Add("rmse_fit_m", finiteOr(r.fit.rmseFit * r.referencePixelMetres, -1));
  acc.Add("rmse_check_px", finiteOr(r.fit.rmseCheck, -1));
  acc.Add("rmse_check_m", finiteOr(r.fit.rmseCheck * r.referencePixelMetres, -1));
  acc.Add("reference_pixel_size_m", finiteOr(r.referencePixelMetres, -1));  // on the ground
  root.Add("accuracy", acc);

  root.Add("verdict", verdictJson(r.verdict));
  if (r.rpc) {
    const auto& k = *r.rpc;
    CPLJSONObject j;
    j.Add("heights", k.heights);
    j.Add("flat_ground", k.flatGround);
    j.Add("correction_model", modelName(k.fit.forward->type()));
    CPLJSONArray c;
    for (double v : k.correction) c.Add(v);
    j.Add("correction", c);
    j.Add("correction_maps", "pixel' = c0 + c1 pixel + c2 line, line' = c3 + c4 pixel + c5 line, of the given RPCs' image position");
    j.Add("inliers", k.fit.inlierCount);
    j.Add("check_points", k.fit.checkCount);
    j.Add("rmse_fit_px", k.fit.rmseFit);
    j.Add("rmse_check_px", finiteOr(k.fit.rmseCheck, -1));
    j.Add("rmse_check_m", finiteOr(k.fit.rmseCheck * k.sensedPixelSize, -1));
    j.Add("rmse_check_before_px", finiteOr(k.rmseCheckBeforePx, -1));
    j.Add("sensed_pixel_size_m", finiteOr(k.sensedPixelSize, -1));
    j.Add("rpc_refit_error_px", k.refitErrorPx);
    root.Add("rpc_refinement", j);
  }
  CPLJSONArray warnings;
  for (const auto& w : r.warnings) warnings.Add(w);
  root.Add("warnings", warnings);

  CPLJSONArray tiles;
  for (auto& t : r.match.tiles) {
    CPLJSONObject k;
    k.Add("index", t.index);
    k.Add("pass", t.pass);
    CPLJSONArray w;
    for (int v : {t.window.x, t.window.y, t.window.width, t.window.height}) w.Add(v);
    k.Add("window_px", w);
    k.Add("matches", t.matches);
    k.Add("inliers", t.inliers);
    k.Add("seconds", t.seconds);
    if (!t.skipped.empty()) k.Add("skipped", t.skipped);
    tiles.Add(k);
  }
  root.Add("tiles", tiles);

  CPLJSONObject times;
  for (auto& s : r.stages) times.Add(s.stage, s.seconds);
  root.Add("seconds", times);

  addVersions(root);
  save(doc, path);
}

void writeFailureReportJson(const CoregisterOptions& o, const std::string& reason, const std::string& path) {
  CPLJSONDocument doc;
  CPLJSONObject root = doc.GetRoot();
  addJob(root, o);
  CPLJSONObject verdict;
  verdict.Add("level", verdictName(VerdictLevel::Failed));
  verdict.Add("reasons", strings({reason}));
  root.Add("verdict", verdict);
  addVersions(root);
  save(doc, path);
}

}  // namespace mmreg
