#include "decibels.h"

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mmreg/error.h"

namespace bench {

void rewriteAsDecibels(const std::string& path) {
  const std::string tmp = path + ".db.tif";
  {
    GDALDatasetUniquePtr src(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
    if (!src) throw mmreg::Error("cannot open " + path);
    const int w = src->GetRasterXSize(), h = src->GetRasterYSize();
    GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDatasetUniquePtr dst(gtiff->Create(tmp.c_str(), w, h, 1, GDT_Float32, nullptr));
    if (!dst) throw mmreg::Error("cannot create " + tmp);
    double gt[6];
    if (src->GetGeoTransform(gt) == CE_None) dst->SetGeoTransform(gt);
    if (src->GetSpatialRef()) dst->SetSpatialRef(src->GetSpatialRef());
    std::vector<float> v(static_cast<size_t>(w) * h);
    GDALRasterBand* band = src->GetRasterBand(1);
    if (band->RasterIO(GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float32, 0, 0) != CE_None) throw mmreg::Error("cannot read " + path);
    for (float& x : v) x = static_cast<float>(10 * std::log10(std::max(0.3 * std::pow(x / 255.0, 2), 1e-4)));
    if (dst->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, v.data(), w, h, GDT_Float32, 0, 0) != CE_None)
      throw mmreg::Error("cannot write " + tmp);
    if (!(band->GetMaskFlags() & GMF_ALL_VALID)) {
      std::vector<GByte> m(static_cast<size_t>(w) * h);
      if (band->GetMaskBand()->RasterIO(GF_Read, 0, 0, w, h, m.data(), w, h, GDT_Byte, 0, 0) != CE_None ||
          dst->CreateMaskBand(GMF_PER_DATASET) != CE_None ||
          dst->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, 0, 0, w, h, m.data(), w, h, GDT_Byte, 0, 0) != CE_None)
        throw mmreg::Error("cannot copy the mask of " + path);
    }
  }
  if (VSIRename(tmp.c_str(), path.c_str()) != 0) throw mmreg::Error("cannot replace " + path);
}

}  // namespace bench
