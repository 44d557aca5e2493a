#include "output/report_pictures.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "pipeline/pixel_mapping.h"
#include "pipeline/tile_reader.h"

namespace mmreg {
namespace {

constexpr int kOverviewSide = 900;
constexpr int kZoomSide = 320;

// 8-bit grey by the 2nd and 98th percentiles of the valid pixels; invalid pixels are black.
cv::Mat stretched(const Image& img) {
  std::vector<float> v;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.isValid(x, y) && std::isfinite(img.at(x, y))) v.push_back(img.at(x, y));
  cv::Mat out(img.height, img.width, CV_8U, cv::Scalar(0));
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  const float lo = v[v.size() / 50], hi = std::max(v[v.size() * 49 / 50], lo + 1e-6f);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.isValid(x, y))
        out.at<uchar>(y, x) = cv::saturate_cast<uchar>(255.0 * (img.at(x, y) - lo) / (hi - lo));
  return out;
}

std::string jpeg(const cv::Mat& m) {
  std::vector<uchar> bytes;
  cv::imencode(".jpg", m, bytes, {cv::IMWRITE_JPEG_QUALITY, 85});
  return std::string(bytes.begin(), bytes.end());
}

// Reference and registered sensed in alternate cells; the sensed cells are tinted so that the
// eye tells them apart, and show the reference dimmed where the sensed image has no data.
cv::Mat checkerboard(const Image& ref, const Image& sen, int cell) {
  const cv::Mat r = stretched(ref), s = stretched(sen);
  cv::Mat out(r.rows, r.cols, CV_8UC3);
  for (int y = 0; y < r.rows; ++y)
    for (int x = 0; x < r.cols; ++x) {
      const uchar g = r.at<uchar>(y, x);
      cv::Vec3b px{g, g, g};
      if (((x / cell) + (y / cell)) % 2 == 1) {
        const uchar t = s.at<uchar>(y, x);
        px = sen.isValid(x, y) ? cv::Vec3b(static_cast<uchar>(t * 0.85), t, static_cast<uchar>(t * 0.85))  // BGR: green tint
                               : cv::Vec3b(g / 3, g / 3, g / 3);
      }
      out.at<cv::Vec3b>(y, x) = px;
    }
  return out;
}

// Colour of a residual (BGR): green below 1 px, yellow below 2, orange up to the threshold.
cv::Scalar residualColour(double px, bool inlier) {
  if (!inlier) return {60, 60, 220};
  if (px < 1) return {80, 200, 60};
  if (px < 2) return {40, 220, 230};
  return {30, 140, 255};
}

}  // namespace

ReportPictures makeReportPictures(const GeoRaster& ref, const GeoRaster& sen, const CoregisterOptions& o,
                                  const CoregisterResult& r) {
  ReportPictures out;
  // The bands the match read (none for given tie points: the same rule picks them).
  const auto bands = [](const GeoRaster& raster, const std::vector<int>& matched, const std::vector<int>& requested, const char* option) {
    return matched.empty() ? resolveBands(raster, requested, option) : matched;
  };
  BandChoice refBands{bands(ref, r.match.referenceBands, o.match.referenceBands, "-refb"), Modality::Optical};
  if (o.match.referenceModality != Modality::Auto) refBands.modality = o.match.referenceModality;
  BandChoice senBands{bands(sen, r.match.sensedBands, o.match.sensedBands, "-b"), Modality::Optical};
  parseModality(r.match.sensedModality, &senBands.modality);
  refBands.decibels = r.match.referenceDecibels;
  senBands.decibels = r.match.sensedDecibels;
  const auto mapping = modelMapping(*r.fit.forward, *r.fit.inverse);

  // Whole reference at overview scale.
  const double scale = std::max(1.0, std::max(ref.width(), ref.height()) / static_cast<double>(kOverviewSide));
  const PixelWindow all{0, 0, std::max(1, static_cast<int>(ref.width() / scale)), std::max(1, static_cast<int>(ref.height() / scale))};
  const TileReader overview(ref, refBands, sen, senBands, scale);
  const Image refOv = overview.reference(all), senOv = overview.sensedInReferenceFrame(all, 0, *mapping);
  out.checkerboard = {"Checkerboard of the reference (grey) and the registered sensed image (green tint), whole reference",
                      jpeg(checkerboard(refOv, senOv, std::max(24, all.width / 12)))};

  // Two zooms at full resolution: the final-pass tiles with the most inliers.
  std::vector<const TileStats*> tiles;
  for (const auto& t : r.match.tiles)
    if (t.pass == r.match.finalPass && t.skipped.empty()) tiles.push_back(&t);
  std::sort(tiles.begin(), tiles.end(), [](const TileStats* a, const TileStats* b) { return a->inliers > b->inliers; });
  const TileReader full(ref, refBands, sen, senBands, 1.0);
  for (size_t k = 0; k < tiles.size() && k < 2; ++k) {
    const PixelWindow& w = tiles[k]->window;
    const int side = std::min({kZoomSide, std::max(w.width, 32), std::max(w.height, 32)});
    const PixelWindow z{w.x + w.width / 2 - side / 2, w.y + w.height / 2 - side / 2, side, side};
    const Image a = full.reference(z), b = full.sensedInReferenceFrame(z, 0, *mapping);
    cv::Mat zoom;
    cv::resize(checkerboard(a, b, std::max(8, side / 8)), zoom, cv::Size(kZoomSide, kZoomSide), 0, 0, cv::INTER_NEAREST);
    out.zooms.push_back({"Tile " + std::to_string(tiles[k]->index) + " at full resolution (reference pixels " + std::to_string(z.x) +
                             ", " + std::to_string(z.y) + ", " + std::to_string(side) + " a side), " +
                             std::to_string(tiles[k]->inliers) + " inliers",
                         jpeg(zoom)});
  }

  // Tie points over the dimmed reference; residual vectors exaggerated so that the inlier
  // threshold is 40 overview pixels long.
  cv::Mat bg = stretched(refOv) / 2, plot;
  cv::cvtColor(bg, plot, cv::COLOR_GRAY2BGR);
  out.exaggeration = 40.0 * scale / std::max(0.1, o.fit.inlierThreshold);
  const auto& pts = r.match.tiePoints;
  for (size_t i = 0; i < pts.size() && i < r.fit.residual.size(); ++i) {
    const bool inlier = r.fit.inlier[i], check = r.fit.check[i];
    const double res = std::hypot(r.fit.residual[i].x, r.fit.residual[i].y);
    const cv::Point2d p(pts[i].ref.x / scale, pts[i].ref.y / scale);
    const cv::Scalar c = residualColour(res, inlier);
    if (inlier) {
      const cv::Point2d tip = p + cv::Point2d(r.fit.residual[i].x, r.fit.residual[i].y) * (out.exaggeration / scale);
      cv::line(plot, p, tip, c, 1, cv::LINE_AA);
    }
    if (check) cv::rectangle(plot, p - cv::Point2d(3, 3), p + cv::Point2d(3, 3), c, 1, cv::LINE_AA);
    else cv::circle(plot, p, inlier ? 3 : 2, c, inlier ? cv::FILLED : 1, cv::LINE_AA);
  }
  out.tiePoints = {"Tie points over the reference: filled circles fitted inliers, squares check points, rings rejected; colour "
                   "by residual (green < 1 px, yellow < 2 px, orange above, red rejected); lines are residual vectors",
                   jpeg(plot)};
  return out;
}

}  // namespace mmreg
