#include "pipeline/tile_reader.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cv_image.h"
#include "mmreg/error.h"

namespace mmreg {

Image readProcessed(const GeoRaster& raster, const BandChoice& choice, const PixelWindow& window, int w, int h) {
  return preprocess(combineBands(raster.readBands(choice.bands, window, w, h)), choice.modality, choice.decibels);
}

Image TileReader::combined(const GeoRaster& raster, const BandChoice& choice, const DecodedRaster* decoded,
                           std::mutex& fileLock, const PixelWindow& window, int w, int h) const {
  if (decoded && decoded->bands() == choice.bands)
    if (auto cut = decoded->read(window, w, h)) return std::move(*cut);
  std::vector<Image> bands;
  {
    const std::lock_guard<std::mutex> lock(fileLock);
    bands = raster.readBands(choice.bands, window, w, h);
  }
  return combineBands(bands);
}

Image TileReader::reference(const PixelWindow& pw) const {
  const PixelWindow full{static_cast<int>(std::lround(pw.x * scale_)), static_cast<int>(std::lround(pw.y * scale_)),
                         static_cast<int>(std::lround(pw.width * scale_)), static_cast<int>(std::lround(pw.height * scale_))};
  return referenceAt(full, pw.width, pw.height);
}

Image TileReader::referenceAt(const PixelWindow& window, int w, int h) const {
  return preprocess(combined(ref_, refBands_, decoded_.ref.get(), refLock_, window, w, h), refBands_.modality, refBands_.decibels);
}

Image TileReader::sensedInReferenceFrame(const PixelWindow& pw, int margin, const PixelMapping& mapping) const {
  const int W = pw.width + 2 * margin, H = pw.height + 2 * margin, step = 8;
  const int lw = (W + step - 1) / step + 1, lh = (H + step - 1) / step + 1;
  // The estimate is evaluated on a lattice and interpolated: it is smooth at this scale.
  std::vector<Point2> lattice;
  for (int j = 0; j < lh; ++j)
    for (int i = 0; i < lw; ++i)
      lattice.push_back({(pw.x - margin + i * step + 0.5) * scale_, (pw.y - margin + j * step + 0.5) * scale_});
  mapping.refToSensed(lattice);
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (auto& p : lattice)
    if (std::isfinite(p.x) && std::isfinite(p.y))
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  Image out(W, H);
  out.valid.assign(static_cast<size_t>(W) * H, 0);
  x0 = std::max(x0, 0.0), y0 = std::max(y0, 0.0);
  x1 = std::min(x1, static_cast<double>(sen_.width())), y1 = std::min(y1, static_cast<double>(sen_.height()));
  if (!(x1 > x0 + 2 && y1 > y0 + 2)) return out;  // no sensed data under this tile

  // Read the sensed window near the processing resolution (GDAL picks overviews), preprocess
  // it in its own geometry (speckle is a property of the sensor grid), then resample.
  const Point2 centre{(pw.x + pw.width / 2.0) * scale_, (pw.y + pw.height / 2.0) * scale_};
  const double perProc = sensedPixelsPerRefPixel(mapping, centre) * scale_;
  const double g = std::max(1.0, std::floor(perProc));
  PixelWindow sw{static_cast<int>(std::floor(x0)) - 2, static_cast<int>(std::floor(y0)) - 2,
                 static_cast<int>(std::ceil(x1 - x0)) + 4, static_cast<int>(std::ceil(y1 - y0)) + 4};
  // On the decoded grid when its cells divide this read's: then the cut is exact.
  const DecodedRaster* decoded = decoded_.sen.get();
  if (decoded && static_cast<int>(g) % decoded->factor() == 0) {
    const int f = decoded->factor();
    const int ax = static_cast<int>(std::floor(sw.x / static_cast<double>(f))) * f;
    const int ay = static_cast<int>(std::floor(sw.y / static_cast<double>(f))) * f;
    sw = {ax, ay, sw.width + (sw.x - ax), sw.height + (sw.y - ay)};
  }
  const int bw = std::max(1, static_cast<int>(std::ceil(sw.width / g))), bh = std::max(1, static_cast<int>(std::ceil(sw.height / g)));
  const PixelWindow swg{sw.x, sw.y, static_cast<int>(bw * g), static_cast<int>(bh * g)};
  const Image src = preprocess(combined(sen_, senBands_, decoded, senLock_, swg, bw, bh), senBands_.modality, senBands_.decibels);

  cv::Mat mapx(H, W, CV_32F), mapy(H, W, CV_32F);
  for (int v = 0; v < H; ++v)
    for (int u = 0; u < W; ++u) {
      const int i = u / step, j = v / step;
      const double fx = (u - i * step) / static_cast<double>(step), fy = (v - j * step) / static_cast<double>(step);
      const Point2 &a = lattice[j * lw + i], &b = lattice[j * lw + i + 1], &c = lattice[(j + 1) * lw + i],
                   &d = lattice[(j + 1) * lw + i + 1];
      const double sx = (1 - fy) * ((1 - fx) * a.x + fx * b.x) + fy * ((1 - fx) * c.x + fx * d.x);
      const double sy = (1 - fy) * ((1 - fx) * a.y + fx * b.y) + fy * ((1 - fx) * c.y + fx * d.y);
      const bool ok = std::isfinite(sx) && std::isfinite(sy);
      // Buffer pixel k covers sensed [sw.x + k g, sw.x + (k+1) g); its centre is at k + 0.5.
      mapx.at<float>(v, u) = ok ? static_cast<float>((sx - sw.x) / g - 0.5) : -1e6f;
      mapy.at<float>(v, u) = ok ? static_cast<float>((sy - sw.y) / g - 0.5) : -1e6f;
    }
  cv::Mat dst = asMat(out), mask;
  cv::remap(asMat(src), dst, mapx, mapy, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::remap(validMask(src), mask, mapx, mapy, cv::INTER_NEAREST, cv::BORDER_CONSTANT, 0);
  for (int v = 0; v < H; ++v)
    for (int u = 0; u < W; ++u) out.valid[static_cast<size_t>(v) * W + u] = mask.at<uchar>(v, u) != 0;
  return out;
}

}  // namespace mmreg
