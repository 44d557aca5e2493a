#include "pipeline/decoded_raster.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "mmreg/preprocess.h"
#include "pipeline/raster_threads.h"

namespace mmreg {

DecodedRaster::DecodedRaster(const GeoRaster& raster, const std::vector<int>& bands, int factor)
    : factor_(factor), bands_(bands) {
  const int w = raster.width() / factor, h = raster.height() / factor;
  const PixelWindow whole{0, 0, w * factor, h * factor};
  cells_ = combineBands(raster.readBands(bands, whole, w, h));
  if (cells_.valid.empty()) cells_.valid.assign(cells_.pixels.size(), 1);
}

std::optional<Image> DecodedRaster::read(const PixelWindow& window, int outWidth, int outHeight) const {
  const double f = factor_;
  if (window.width < f * outWidth - 1e-9 || window.height < f * outHeight - 1e-9) return std::nullopt;
  // The cells under the window (snapped to the cell grid: exact for the tile reader's windows).
  const int x0 = static_cast<int>(std::lround(window.x / f)), y0 = static_cast<int>(std::lround(window.y / f));
  const int w = std::max(outWidth, static_cast<int>(std::lround(window.width / f)));
  const int h = std::max(outHeight, static_cast<int>(std::lround(window.height / f)));
  cv::Mat values(h, w, CV_32F, cv::Scalar(0)), weights(h, w, CV_32F, cv::Scalar(0));
  const cv::Rect inside = cv::Rect(x0, y0, w, h) & cv::Rect(0, 0, cells_.width, cells_.height);
  if (!inside.empty()) {
    const cv::Mat v = asMat(cells_)(inside);
    cv::Mat m;
    validMask(cells_)(inside).convertTo(m, CV_32F, 1.0 / 255);
    const cv::Rect at(inside.x - x0, inside.y - y0, inside.width, inside.height);
    cv::multiply(v, m, values(at));
    m.copyTo(weights(at));
  }
  if (w != outWidth || h != outHeight) {
    cv::resize(values, values, {outWidth, outHeight}, 0, 0, cv::INTER_AREA);
    cv::resize(weights, weights, {outWidth, outHeight}, 0, 0, cv::INTER_AREA);
  }
  Image out(outWidth, outHeight);
  out.valid.assign(out.pixels.size(), 0);
  for (int y = 0; y < outHeight; ++y)
    for (int x = 0; x < outWidth; ++x) {
      const float wt = weights.at<float>(y, x);
      if (wt < 0.999f) continue;  // a cell under it is invalid or outside the raster
      out.at(x, y) = values.at<float>(y, x) / wt;
      out.valid[static_cast<size_t>(y) * outWidth + x] = 1;
    }
  return out;
}

namespace {

std::shared_ptr<const DecodedRaster> decodeOne(const GeoRaster& raster, const std::vector<int>& bands, int factor,
                                               const std::shared_ptr<const DecodedRaster>& held, long long maxCells) {
  if (held && held->factor() == factor && held->bands() == bands) return held;
  if (factor < 1) return nullptr;
  const long long cells = static_cast<long long>(raster.width() / factor) * (raster.height() / factor);
  if (cells < 1 || cells > maxCells) return nullptr;
  return std::make_shared<const DecodedRaster>(raster, bands, factor);
}

}  // namespace

DecodedRasters decodeRasters(const GeoRaster& ref, const std::vector<int>& refBands, int refFactor, const GeoRaster& sen,
                             const std::vector<int>& senBands, int senFactor, const DecodedRasters& held,
                             long long maxCells) {
  DecodedRasters out;
  readBothRasters(ref, sen, [&] { out.ref = decodeOne(ref, refBands, refFactor, held.ref, maxCells); },
                  [&] { out.sen = decodeOne(sen, senBands, senFactor, held.sen, maxCells); });
  return out;
}

}  // namespace mmreg
