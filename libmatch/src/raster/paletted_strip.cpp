// Reading a paletted band for matching: averaging or interpolating colour indices means nothing
// (GDAL falls back to nearest, and warns for every read), so the indices are read at full
// resolution, turned into luminance through the colour table, and resampled here.
#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "mmreg/error.h"
#include "mmreg/raster.h"
#include "raster/paletted.h"

namespace mmreg {

bool isPaletted(GDALRasterBandH band) {
  return band && GDALGetRasterColorInterpretation(band) == GCI_PaletteIndex && GDALGetRasterColorTable(band);
}

void GeoRaster::readPalettedStrip(int band, const PixelWindow& w, double sx, double sy, int ox0, int ox1, int oy0, int oy1,
                                  bool decimating, Image& img) const {
  GDALRasterBand* rb = ds_->GetRasterBand(band);
  const GDALColorTable* table = rb->GetColorTable();
  const int entries = table->GetColorEntryCount();
  std::vector<float> luminance(entries);
  std::vector<std::uint8_t> opaque(entries);
  for (int i = 0; i < entries; ++i) {
    GDALColorEntry e{};
    table->GetColorEntryAsRGB(i, &e);
    luminance[i] = static_cast<float>(0.299 * e.c1 + 0.587 * e.c2 + 0.114 * e.c3);
    opaque[i] = e.c4 != 0;  // a transparent entry marks no data
  }

  // The source pixels the strip's output pixels cover, one more on each side for interpolation.
  const double fx0 = w.x + ox0 * sx, fy0 = w.y + oy0 * sy;
  const int ix = std::max(0, static_cast<int>(std::floor(fx0)) - 1), iy = std::max(0, static_cast<int>(std::floor(fy0)) - 1);
  const int ix1 = std::min(width(), static_cast<int>(std::ceil(w.x + ox1 * sx)) + 1);
  const int iy1 = std::min(height(), static_cast<int>(std::ceil(w.y + oy1 * sy)) + 1);
  const int iw = ix1 - ix, ih = iy1 - iy;
  if (iw <= 0 || ih <= 0) return;
  std::vector<std::int32_t> index(static_cast<size_t>(iw) * ih);
  std::vector<GByte> mask(index.size(), 255);
  if (rb->RasterIO(GF_Read, ix, iy, iw, ih, index.data(), iw, ih, GDT_Int32, 0, 0, nullptr) != CE_None)
    throw Error("reading band " + std::to_string(band) + " of '" + path_ + "' failed: " + CPLGetLastErrorMsg() +
                "; check that the file is complete and readable");
  if (!(rb->GetMaskFlags() & GMF_ALL_VALID) &&
      rb->GetMaskBand()->RasterIO(GF_Read, ix, iy, iw, ih, mask.data(), iw, ih, GDT_Byte, 0, 0, nullptr) != CE_None)
    throw Error("reading the mask of band " + std::to_string(band) + " of '" + path_ + "' failed: " + CPLGetLastErrorMsg());
  // Luminance at a source pixel, and whether it is data.
  const auto source = [&](int x, int y, float* v) {
    if (x < ix || y < iy || x >= ix1 || y >= iy1) return false;
    const size_t i = static_cast<size_t>(y - iy) * iw + (x - ix);
    const int k = index[i];
    if (mask[i] == 0 || k < 0 || k >= entries || !opaque[k]) return false;
    *v = luminance[k];
    return true;
  };

  for (int oy = oy0; oy < oy1; ++oy) {
    for (int ox = ox0; ox < ox1; ++ox) {
      float value = 0;
      bool ok = false;
      if (decimating) {  // the mean over the source pixels whose centres lie in the footprint
        const double ax = w.x + ox * sx, ay = w.y + oy * sy;
        double sum = 0;
        int n = 0;
        for (int y = static_cast<int>(std::ceil(ay - 0.5)); y < std::ceil(ay + sy - 0.5); ++y)
          for (int x = static_cast<int>(std::ceil(ax - 0.5)); x < std::ceil(ax + sx - 0.5); ++x) {
            float v;
            if (source(x, y, &v)) sum += v, ++n;
          }
        ok = n > 0;
        value = ok ? static_cast<float>(sum / n) : 0.f;
      } else {  // bilinear between the four source pixels around the output pixel's centre
        const double px = w.x + (ox + 0.5) * sx - 0.5, py = w.y + (oy + 0.5) * sy - 0.5;
        const int x = static_cast<int>(std::floor(px)), y = static_cast<int>(std::floor(py));
        const double tx = px - x, ty = py - y;
        const double weight[4] = {(1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty};
        double sum = 0;
        ok = true;
        for (int k = 0; k < 4 && ok; ++k) {
          float v = 0;
          if (weight[k] < 1e-9) continue;  // a neighbour that does not count need not exist (the last row and column)
          ok = source(x + k % 2, y + k / 2, &v);
          sum += weight[k] * v;
        }
        if (ok) value = static_cast<float>(sum);
      }
      img.at(ox, oy) = value;
      img.valid[static_cast<size_t>(oy) * img.width + ox] = ok;
    }
  }
}

}  // namespace mmreg
