// Rasters decoded once per job: windows cut from memory must be what GDAL would have read
// (values and validity, on the real sample), and the items of a pass run on any number of
// threads with each result and each error in its own slot.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "mmreg/error.h"
#include "mmreg/preprocess.h"
#include "pipeline/decoded_raster.h"
#include "parallel_items.h"
#include "test_support.h"

using namespace mmreg;

namespace {

// Largest difference between two reads where both are valid; -1 if their validity differs.
double largestDifference(const Image& a, const Image& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  double worst = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      if (a.isValid(x, y) != b.isValid(x, y)) return -1;
      if (a.isValid(x, y)) worst = std::max(worst, std::abs(static_cast<double>(a.at(x, y)) - b.at(x, y)));
    }
  return worst;
}

}  // namespace

TEST(DecodedRaster, CutsWhatGdalReadsOnTheRealSample) {
  GDALAllRegister();
  const auto sar = GeoRaster::open(mmreg_test::sampleData() + "/s1s2_075_sensed.tif");
  const DecodedRaster decoded(sar, {1}, 4);
  EXPECT_EQ(decoded.factor(), 4);
  // Windows on the decoded grid, at its factor and at multiples of it, one past the edge.
  const PixelWindow windows[] = {{0, 0, 1024, 1024}, {128, 64, 512, 256}, {256, 512, 512, 512}, {-64, 896, 256, 256}};
  for (const auto& w : windows)
    for (int k : {1, 2, 4}) {
      const int ow = w.width / (4 * k), oh = w.height / (4 * k);
      const auto cut = decoded.read(w, ow, oh);
      ASSERT_TRUE(cut.has_value());
      const Image gdal = sar.readWindow(1, w, ow, oh);
      EXPECT_GE(largestDifference(*cut, gdal), 0) << "validity differs, window x " << w.x << " factor " << 4 * k;
      // At the decoded factor, the same values; coarser, GDAL averages Byte data to whole grey
      // levels while the cut averages the decoded cells exactly.
      EXPECT_LT(largestDifference(*cut, gdal), k == 1 ? 1e-3 : 1.0) << "window x " << w.x << " factor " << 4 * k;
    }
  // Finer than the decoded grid: not served (the reader goes to the file).
  EXPECT_FALSE(decoded.read({0, 0, 256, 256}, 128, 128).has_value());
}

TEST(DecodedRaster, NodataStaysInvalid) {
  GDALAllRegister();
  const std::string dir = mmreg_test::freshDir("decoded_nodata");
  const std::string path = dir + "/holes.tif";
  {
    // The real SAR sample with a nodata hole and a nodata border column.
    GDALDatasetUniquePtr src(GDALDataset::Open((mmreg_test::sampleData() + "/s1s2_075_sensed.tif").c_str(), GDAL_OF_RASTER));
    GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(path.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
    auto* band = ds->GetRasterBand(1);
    band->SetNoDataValue(0);
    std::vector<GByte> zeros(100 * 100, 0);
    ASSERT_EQ(CE_None, band->RasterIO(GF_Write, 301, 203, 100, 100, zeros.data(), 100, 100, GDT_Byte, 0, 0));
    ASSERT_EQ(CE_None, band->RasterIO(GF_Write, 1021, 0, 3, 1024, zeros.data(), 3, 1024, GDT_Byte, 0, 0));
  }
  {
    const auto r = GeoRaster::open(path);
    const DecodedRaster decoded(r, {1}, 1);
    const PixelWindow w{256, 128, 768, 384};
    const auto cut = decoded.read(w, 768, 384);
    ASSERT_TRUE(cut.has_value());
    EXPECT_EQ(largestDifference(*cut, r.readWindow(1, w, 768, 384)), 0);
    EXPECT_FALSE(cut->isValid(301 - 256 + 50, 203 - 128 + 50));  // inside the hole
    EXPECT_FALSE(cut->isValid(767, 10));                          // the border column
    EXPECT_TRUE(cut->isValid(10, 10));
    // Decimated, every output pixel that covers a hole pixel is invalid.
    const auto coarse = decoded.read(w, 96, 48);
    ASSERT_TRUE(coarse.has_value());
    EXPECT_FALSE(coarse->isValid((301 - 256) / 8 + 1, (203 - 128) / 8 + 1));
    EXPECT_TRUE(coarse->isValid(0, 0));
  }
  mmreg_test::removeTree(dir);
}

TEST(DecodedRaster, RgbIsCombinedAsTheReaderCombinesIt) {
  GDALAllRegister();
  const auto rgb = GeoRaster::open(mmreg_test::sampleData() + "/s1s2_075_ref.tif");  // Sentinel-2 RGB
  std::vector<int> bands;
  ASSERT_EQ(rgb.bandCount(), 3);
  for (int b = 1; b <= 3; ++b) bands.push_back(b);
  const DecodedRaster decoded(rgb, bands, 2);
  const PixelWindow w{64, 32, 256, 256};
  std::vector<Image> each;
  for (int b : bands) each.push_back(rgb.readWindow(b, w, 128, 128));
  const auto cut = decoded.read(w, 128, 128);
  ASSERT_TRUE(cut.has_value());
  EXPECT_LT(largestDifference(*cut, combineBands(each)), 1e-3);
  EXPECT_GE(largestDifference(*cut, combineBands(each)), 0);
}

TEST(DecodedRaster, OversizedRastersAreLeftToTheFile) {
  GDALAllRegister();
  const auto ref = GeoRaster::open(mmreg_test::sampleData() + "/s1s2_075_ref.tif");
  const auto sen = GeoRaster::open(mmreg_test::sampleData() + "/s1s2_075_sensed.tif");
  const auto both = decodeRasters(ref, {1}, 2, sen, {1}, 2, {}, 1LL << 20);
  ASSERT_TRUE(both.ref && both.sen);
  // Kept when asked again at the same factors; a raster over the cell budget is not decoded.
  const auto again = decodeRasters(ref, {1}, 2, sen, {1}, 4, both, 1LL << 20);
  EXPECT_EQ(again.ref, both.ref);
  EXPECT_NE(again.sen, both.sen);
  EXPECT_EQ(again.sen->factor(), 4);
  const auto tooBig = decodeRasters(ref, {1}, 1, sen, {1}, 1, {}, 1000);
  EXPECT_FALSE(tooBig.ref);
  EXPECT_FALSE(tooBig.sen);
}

TEST(ParallelItems, EveryItemOnceEachErrorInItsSlot) {
  for (int threads : {1, 2, 3}) {
    std::vector<std::atomic<int>> runs(50);
    const auto errors = forEachItem(
        runs.size(), threads,
        [&](size_t i) {
          ++runs[i];
          if (i == 7 || i == 31) throw std::runtime_error("item " + std::to_string(i));
        },
        [](size_t) {});
    for (size_t i = 0; i < runs.size(); ++i) {
      EXPECT_EQ(runs[i], 1) << "item " << i << ", " << threads << " threads";
      EXPECT_EQ(static_cast<bool>(errors[i]), i == 7 || i == 31) << "item " << i;
    }
  }
}

TEST(ParallelItems, ACancelOnTheCallingThreadStopsTheOthers) {
  std::atomic<int> started{0};
  // Each item takes a millisecond, so that the helper thread cannot finish all of them before the
  // calling thread comes back for its second item (on a loaded machine it once did).
  EXPECT_THROW(forEachItem(
                   1000, 2,
                   [&](size_t) {
                     ++started;
                     std::this_thread::sleep_for(std::chrono::milliseconds(1));
                   },
                   [](size_t finished) {
                     if (finished >= 10) throw Cancelled();
                   }),
               Cancelled);
  EXPECT_LT(started, 1000);
}
