// The HTML report: one self-contained page (pictures embedded as data URIs, no scripts or
// styles from elsewhere) for judging a registration by eye.
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "mmreg/error.h"
#include "mmreg/outputs.h"
#include "output/report_pictures.h"

namespace mmreg {
namespace {

std::string escaped(const std::string& s) {
  char* e = CPLEscapeString(s.c_str(), -1, CPLES_XML);
  std::string out(e);
  CPLFree(e);
  return out;
}

std::string num(double v, int decimals = 2) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string image(const ReportPicture& p) {
  char* b64 = CPLBase64Encode(static_cast<int>(p.jpeg.size()), reinterpret_cast<const GByte*>(p.jpeg.data()));
  std::string out = "<figure><img alt=\"" + escaped(p.caption) + "\" src=\"data:image/jpeg;base64," + b64 + "\"><figcaption>" +
                    escaped(p.caption) + "</figcaption></figure>\n";
  CPLFree(b64);
  return out;
}

std::string row(const std::string& name, const std::string& value) {
  return "<tr><th>" + escaped(name) + "</th><td>" + escaped(value) + "</td></tr>\n";
}

// Histogram of check-point errors as inline SVG (bins of 0.25 px).
std::string histogram(const FitResult& fit) {
  std::vector<double> errors;
  for (size_t i = 0; i < fit.residual.size(); ++i)
    if (fit.check[i]) errors.push_back(std::hypot(fit.residual[i].x, fit.residual[i].y));
  if (errors.empty()) return "<p>No check points were held out (-check_share 0, or too few inliers).</p>\n";
  const double bin = 0.25, top = std::max(3.0, std::ceil(*std::max_element(errors.begin(), errors.end())));
  std::vector<int> counts(static_cast<size_t>(top / bin), 0);
  for (double e : errors) ++counts[std::min(counts.size() - 1, static_cast<size_t>(e / bin))];
  const int most = *std::max_element(counts.begin(), counts.end());
  const double W = 480, H = 160, left = 36, bottom = 24, bw = (W - left) / counts.size();
  std::ostringstream s;
  s << "<svg width=\"" << W + 10 << "\" height=\"" << H + 10 << "\" role=\"img\" aria-label=\"histogram of check-point errors\">\n";
  for (size_t k = 0; k < counts.size(); ++k) {
    const double h = (H - bottom - 8) * counts[k] / most;
    s << "<rect x=\"" << left + k * bw + 1 << "\" y=\"" << H - bottom - h << "\" width=\"" << bw - 2 << "\" height=\"" << h
      << "\" fill=\"#3b7dd8\"><title>" << num(k * bin) << "–" << num((k + 1) * bin) << " px: " << counts[k] << "</title></rect>\n";
  }
  s << "<line x1=\"" << left << "\" y1=\"" << H - bottom << "\" x2=\"" << W << "\" y2=\"" << H - bottom << "\" stroke=\"#333\"/>\n";
  for (int px = 0; px <= top; ++px)
    s << "<text x=\"" << left + px / bin * bw << "\" y=\"" << H - 6 << "\" font-size=\"11\" text-anchor=\"middle\">" << px
      << "</text>\n";
  s << "<text x=\"4\" y=\"14\" font-size=\"11\">" << most << "</text>\n";
  s << "<text x=\"" << W - 4 << "\" y=\"" << H + 6 << "\" font-size=\"11\" text-anchor=\"end\">check-point error, reference px</text>\n";
  s << "</svg>\n";
  return s.str();
}

const char* const kStyle =
    "body{font-family:sans-serif;max-width:1000px;margin:1em auto;padding:0 1em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ddd;padding:2px 8px;text-align:left}"
    "td.n{text-align:right}figure{margin:.8em 0}figure img{max-width:100%;border:1px solid #999}"
    "figcaption{font-size:.85em;color:#555}.verdict{font-size:1.2em;padding:.4em .8em;border-radius:4px}"
    ".verified{background:#d9f2d9}.doubtful{background:#fff2c2}.failed,.bad{background:#f8d0d0}"
    ".zooms{display:flex;gap:1em;flex-wrap:wrap}.zooms figure{flex:1 1 300px}";

// Marks the page with how many of its pictures decoded (headless browsers read it), and says
// so on the page when one did not.
const char* const kSelfCheck =
    "<script>window.addEventListener('load',function(){var i=document.images,ok=0;"
    "for(var k=0;k<i.length;++k)if(i[k].complete&&i[k].naturalWidth>0)++ok;"
    "document.body.setAttribute('data-images',i.length);document.body.setAttribute('data-images-decoded',ok);"
    "if(ok<i.length){var p=document.createElement('p');p.className='bad';"
    "p.textContent=(i.length-ok)+' picture(s) of this report did not load.';"
    "document.body.insertBefore(p,document.body.firstChild);}});</script>\n";

}  // namespace

void writeReportHtml(const GeoRaster& ref, const GeoRaster& sen, const CoregisterOptions& o, const CoregisterResult& r,
                     const std::string& path) {
  const ReportPictures pics = makeReportPictures(ref, sen, o, r);
  const Verdict& v = r.verdict;
  const double m = r.referencePixelMetres;
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mmreg report: "
    << escaped(CPLGetFilename(o.sensed.c_str())) << " onto " << escaped(CPLGetFilename(o.reference.c_str())) << "</title>\n<style>"
    << kStyle << "</style></head>\n<body>\n";
  h << "<h1>mmreg " << versionString() << ": " << escaped(o.sensed) << " onto " << escaped(o.reference) << "</h1>\n";
  h << "<p class=\"verdict " << verdictName(v.level) << "\"><b>Verdict: " << verdictName(v.level) << "</b>"
    << (v.level == VerdictLevel::Verified ? "" : " — " + escaped(v.summary().substr(v.summary().find(':') + 1))) << "</p>\n";
  for (const auto& w : r.warnings) h << "<p class=\"bad\"><b>Warning:</b> " << escaped(w) << "</p>\n";

  h << "<table>\n"
    << row("Model", std::string(modelName(r.fit.forward->type())) + " (requested: " + modelName(o.fit.model) + ")")
    << row("Search start", v.hypothesis) << row("Tie points", std::to_string(r.match.tiePoints.size()) + " candidates, " +
                                                                    std::to_string(r.fit.inlierCount) + " inliers, " +
                                                                    std::to_string(r.fit.checkCount) + " check points")
    << row("RMSE on fitted inliers", pixelsAndMetres(r.fit.rmseFit, m))
    << row("RMSE on check points (never fitted)", pixelsAndMetres(r.fit.rmseCheck, m))
    << row("Reference pixel", num(ref.pixelSize(), 3) + " CRS units" + (std::isfinite(m) ? ", " + num(m) + " m on the ground" : ""))
    << row("Sensed modality", r.match.sensedModality + (r.match.sensedDecibels ? " (backscatter in dB)" : ""))
    << row("Matcher", o.match.matcher) << row("Output", o.out.output.empty() ? "(none)" : o.out.output) << "</table>\n";

  h << "<h2>Overlay</h2>\n" << image(pics.checkerboard) << "<div class=\"zooms\">\n";
  for (const auto& z : pics.zooms) h << image(z);
  h << "</div>\n<h2>Tie points</h2>\n" << image(pics.tiePoints)
    << "<p>Residual vectors are drawn " << num(pics.exaggeration, 0) << " times their length.</p>\n";
  h << "<h2>Check-point errors</h2>\n" << histogram(r.fit);

  h << "<h2>Model</h2>\n<p>Maps sensed pixel (col, row) to reference pixel (col, row). Parameters:";
  for (double p : r.fit.forward->parameters()) h << " " << num(p, 6);
  h << "</p>\n";
  if (!r.fit.candidates.empty()) {
    h << "<table><tr><th>Candidate</th><th>Cross-validated RMSE (px)</th><th>Geometry</th></tr>\n";
    for (const auto& c : r.fit.candidates)
      h << "<tr><td>" << modelName(c.type) << "</td><td class=\"n\">" << num(c.cvRmse, 3) << "</td><td>"
        << (c.plausible ? "plausible" : "implausible: not chosen") << "</td></tr>\n";
    h << "</table>\n";
  }

  if (r.rpc) {
    const auto& k = *r.rpc;
    h << "<h2>RPC refinement</h2>\n<table>\n" << row("Heights", k.heights)
      << row("Correction (" + std::string(modelName(k.fit.forward->type())) + ")",
             "pixel' = " + num(k.correction[0], 3) + " + " + num(k.correction[1], 6) + " pixel + " + num(k.correction[2], 6) +
                 " line; line' = " + num(k.correction[3], 3) + " + " + num(k.correction[4], 6) + " pixel + " + num(k.correction[5], 6) + " line")
      << row("Check points", std::to_string(k.fit.checkCount) + ", of " + std::to_string(k.fit.inlierCount) + " inliers")
      << row("Check-point error, refined RPCs", pixelsAndMetres(k.fit.rmseCheck, k.sensedPixelSize))
      << row("Check-point error, given RPCs", num(k.rmseCheckBeforePx, 3) + " px")
      << row("Refit of the written RPCs", "within " + num(k.refitErrorPx, 4) + " px of the corrected model") << "</table>\n";
    if (k.flatGround) h << "<p class=\"bad\">Flat ground: without a DEM, relief displaces points by its height times the view's obliquity; give -dem.</p>\n";
  }
  h << "<h2>Verdict</h2>\n<table>\n";
  for (const auto& reason : v.reasons) h << row("Reason", reason);
  if (!v.advice.empty()) h << row("Advice", v.advice);
  for (const auto& s : v.otherStarts) h << row("Other start", s);
  h << row("Inliers (minimum)", std::to_string(v.support.inliers) + " (" + std::to_string(v.support.minInliers) + ")")
    << row("Cells of 3 × 3 holding inliers", std::to_string(v.support.cellsOccupied))
    << row("Hull share of the overlap", num(v.support.hullShare)) << row("Predicted model error over the overlap", num(v.support.extrapolationPx) + " px")
    << row("Geometry against the " + v.geometry.prior,
           "scale change " + num(100 * v.geometry.worstScaleChange, 1) + " % (limit " + num(100 * v.geometry.scaleLimit, 1) +
               " %), rotation " + num(v.geometry.worstRotationDeg, 1) + "° (limit " + num(v.geometry.rotationLimitDeg, 1) +
               "°), anisotropy " + num(v.geometry.worstAnisotropy) + " (limit " + num(v.geometry.anisotropyLimit) + ")" +
               (v.geometry.mirrored ? ", mirrored" : ""))
    << row("Independent confirmation", std::to_string(v.confirmation.confirmed) + " of " + std::to_string(v.confirmation.windows) +
                                           " windows at the model (chance " + num(100 * v.confirmation.chance, 1) + " %, p = " +
                                           CPLSPrintf("%.2g", v.confirmation.pValue) + "; features normalised " +
                                           (v.confirmation.features == "regional" ? "by regional energy" : "per pixel") + ")")
    << row("Model error the confirmed windows leave open over the overlap",
           std::isfinite(v.confirmation.confirmedSpanPx) ? num(v.confirmation.confirmedSpanPx) + " processing px"
                                                         : std::string("unbounded (fewer than three, or in a line)"))
    << row("Largest group of the other windows agreeing elsewhere",
           std::to_string(v.confirmation.rivalWindows) + " windows" +
               (v.confirmation.rivalWindows ? " at " + num(v.confirmation.rivalOffset.x, 1) + ", " + num(v.confirmation.rivalOffset.y, 1) +
                                                  " processing px from the model (p = " + CPLSPrintf("%.2g", v.confirmation.rivalPValue) + ")"
                                            : ""))
    << "</table>\n";

  h << "<h2>Tiles</h2>\n<table><tr><th>Tile</th><th>Pass</th><th>Window (reference px)</th><th>Matches</th><th>Inliers</th>"
       "<th>Seconds</th><th>Skipped</th></tr>\n";
  for (const auto& t : r.match.tiles)
    h << "<tr><td class=\"n\">" << t.index << "</td><td class=\"n\">" << t.pass << "</td><td>" << t.window.x << ", " << t.window.y << ", "
      << t.window.width << " × " << t.window.height << "</td><td class=\"n\">" << t.matches << "</td><td class=\"n\">" << t.inliers
      << "</td><td class=\"n\">" << num(t.seconds, 3) << "</td><td>" << escaped(t.skipped) << "</td></tr>\n";
  h << "</table>\n<h2>Time per stage</h2>\n<table>\n";
  for (const auto& s : r.stages) h << row(s.stage, num(s.seconds, 3) + " s");
  h << "</table>\n" << kSelfCheck << "</body></html>\n";

  const std::string text = h.str();
  VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
  if (!f) throw Error("cannot write the HTML report '" + path + "'; check the folder is writable");
  const bool ok = VSIFWriteL(text.data(), 1, text.size(), f) == text.size();
  if (VSIFCloseL(f) != 0 || !ok) throw Error("writing the HTML report '" + path + "' failed; check the free space");
}

}  // namespace mmreg
