#include "pipeline/match_context.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "pipeline/content_check.h"
#include "pipeline/raster_threads.h"

namespace mmreg {
namespace {

// One overview per band, at most 512 px a side, read once: the content check and the modality
// guess share it (without overviews in the file, each read decodes the whole raster).
std::vector<Image> bandOverviews(const GeoRaster& r, const std::vector<int>& bands) {
  const PixelWindow all{0, 0, r.width(), r.height()};
  int h = 0;
  const int w = overviewSide(all, 512, &h);
  return r.readBands(bands, all, w, h);
}

// The modality asked for or guessed, and whether a SAR band is in decibels. A band in dB is
// judged by the speckle of the amplitude it encodes.
void resolveModality(const GeoRaster& r, BandChoice& b, const std::vector<Image>& overviews, Modality requested) {
  const bool complex = r.isComplex(b.bands[0]);
  const bool decibels = !complex && b.bands.size() == 1 && looksLikeDecibels(overviews[0]);
  if (requested != Modality::Auto)
    b.modality = requested;
  else if (complex)
    b.modality = Modality::Sar;
  else if (b.bands.size() > 1)
    b.modality = Modality::Optical;
  else
    b.modality = guessModality(decibels ? amplitudeFromDecibels(overviews[0]) : overviews[0]);
  b.decibels = b.modality == Modality::Sar && decibels;
}

// Bounding box of the valid pixels of `overview` (of all of `r`), in full-resolution pixels,
// widened by one overview pixel so that decimation never cuts data off.
PixelWindow validBounds(const GeoRaster& r, const Image& overview) {
  int x0 = overview.width, y0 = overview.height, x1 = -1, y1 = -1;
  for (int y = 0; y < overview.height; ++y)
    for (int x = 0; x < overview.width; ++x)
      if (overview.isValid(x, y)) x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
  if (x1 < 0) return {0, 0, r.width(), r.height()};
  const double sx = static_cast<double>(r.width()) / overview.width, sy = static_cast<double>(r.height()) / overview.height;
  const int left = std::max(0, static_cast<int>(std::floor((x0 - 1) * sx))), top = std::max(0, static_cast<int>(std::floor((y0 - 1) * sy)));
  const int right = std::min(r.width(), static_cast<int>(std::ceil((x1 + 2) * sx)));
  const int bottom = std::min(r.height(), static_cast<int>(std::ceil((y1 + 2) * sy)));
  return {left, top, right - left, bottom - top};
}

}  // namespace

MatchContext makeMatchContext(const GeoRaster& ref, const GeoRaster& sen, const MatchOptions& opt) {
  MatchContext c{ref, sen, opt, {}, {}, nullptr, nullptr, nullptr, {}, {}, {}, {}};
  c.features = makeDenseFeatures(opt.features, opt.learned);
  if (opt.detector != "corner") c.centres = makeDetector(opt.detector, opt.learned);
  if (opt.matcher != "area") c.keypointMatcher = makeTileMatcher(opt.matcher, opt.learned, c.centres);
  c.refBands.bands = resolveBands(ref, opt.referenceBands, "reference band (-refb)");
  c.senBands.bands = resolveBands(sen, opt.sensedBands, "sensed band (-b)");
  // Without overviews in the files each decodes a whole raster: both at once.
  std::vector<Image> refOverviews, senOverviews;
  readBothRasters(ref, sen, [&] { refOverviews = bandOverviews(ref, c.refBands.bands); },
                  [&] { senOverviews = bandOverviews(sen, c.senBands.bands); });
  checkHasContent(ref, c.refBands.bands, refOverviews, "reference");
  checkHasContent(sen, c.senBands.bands, senOverviews, "sensed");
  for (auto advice : {bandChoiceAdvice(ref, opt.referenceBands, c.refBands.bands, "reference", "-refb"),
                      bandChoiceAdvice(sen, opt.sensedBands, c.senBands.bands, "sensed", "-b"),
                      undeclaredFillAdvice(ref, c.refBands.bands[0], refOverviews[0], "reference", "-refnodata"),
                      undeclaredFillAdvice(sen, c.senBands.bands[0], senOverviews[0], "sensed", "-srcnodata")})
    if (!advice.empty()) c.inputAdvice.push_back(std::move(advice));
  c.refData = validBounds(ref, refOverviews[0]);
  c.senData = validBounds(sen, senOverviews[0]);
  resolveModality(ref, c.refBands, refOverviews, opt.referenceModality);
  resolveModality(sen, c.senBands, senOverviews, opt.sensedModality);
  return c;
}

namespace {

// The sensed valid data's bounding box under `m`: x0, y0, x1, y1 in reference pixels.
std::array<double, 4> footprintBox(const MatchContext& c, const PixelMapping& m) {
  const PixelWindow& s = c.senData;
  std::vector<Point2> border;
  const int n = 64;
  for (int i = 0; i <= n; ++i) {
    const double fx = s.x + s.width * static_cast<double>(i) / n, fy = s.y + s.height * static_cast<double>(i) / n;
    border.push_back({fx, static_cast<double>(s.y)});
    border.push_back({fx, static_cast<double>(s.y + s.height)});
    border.push_back({static_cast<double>(s.x), fy});
    border.push_back({static_cast<double>(s.x + s.width), fy});
  }
  m.sensedToRef(border);
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (auto& p : border)
    if (std::isfinite(p.x) && std::isfinite(p.y))
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  return {x0, y0, x1, y1};
}

PixelWindow windowOf(double x0, double y0, double x1, double y1) {
  return {static_cast<int>(std::floor(x0)), static_cast<int>(std::floor(y0)), static_cast<int>(std::ceil(x1 - x0)),
          static_cast<int>(std::ceil(y1 - y0))};
}

}  // namespace

PixelWindow sensedFootprint(const MatchContext& c, const PixelMapping& m) {
  const auto [x0, y0, x1, y1] = footprintBox(c, m);
  if (!(x1 > x0 && y1 > y0)) return {0, 0, 0, 0};
  return windowOf(x0, y0, x1, y1);
}

PixelWindow overlapWindow(const MatchContext& c, const PixelMapping& m) {
  auto [x0, y0, x1, y1] = footprintBox(c, m);
  const PixelWindow& r = c.refData;
  x0 = std::max<double>(r.x, x0), y0 = std::max<double>(r.y, y0);
  x1 = std::min<double>(r.x + r.width, x1), y1 = std::min<double>(r.y + r.height, y1);
  if (!(x1 - x0 >= 16 && y1 - y0 >= 16))
    throw Error("the footprints of '" + c.ref.path() + "' and '" + c.sen.path() +
                "' do not overlap (their valid data, under the sensed image's georeferencing); check both CRSs, extents and nodata "
                "values with gdalinfo");
  return windowOf(x0, y0, x1, y1);
}

double processingScale(const PixelMapping& m, const PixelWindow& overlap) {
  const Point2 centre{overlap.x + overlap.width / 2.0, overlap.y + overlap.height / 2.0};
  return std::max(1.0, std::floor(1.0 / sensedPixelsPerRefPixel(m, centre) + 1e-6));
}

void decodeAtScale(const MatchContext& c, const PixelMapping& m, const PixelWindow& overlap, double scale) {
  // 16 M cells (80 MB with the mask) a raster: 40960² at the content scale of 16 fits; a
  // full-resolution 10240² does not, and reads its tiles from the file.
  constexpr long long kMaxDecodedCells = 16LL << 20;
  const Point2 centre{overlap.x + overlap.width / 2.0, overlap.y + overlap.height / 2.0};
  const double perProc = sensedPixelsPerRefPixel(m, centre) * scale;
  const int senFactor = std::isfinite(perProc) ? std::max(1, static_cast<int>(std::floor(perProc))) : 0;
  c.decoded = decodeRasters(c.ref, c.refBands.bands, static_cast<int>(std::lround(scale)), c.sen, c.senBands.bands, senFactor,
                            c.decoded, kMaxDecodedCells);
}

int overviewSide(const PixelWindow& w, int longest, int* h) {
  const double s = std::min(1.0, static_cast<double>(longest) / std::max(w.width, w.height));
  *h = std::max(1, static_cast<int>(w.height * s));
  return std::max(1, static_cast<int>(w.width * s));
}

Overviews readOverviews(const MatchContext& c, double nominal, int longest) {
  Overviews o;
  const PixelWindow rw{0, 0, c.ref.width(), c.ref.height()};
  int rh = 0;
  int rwid = overviewSide(rw, longest, &rh);
  // The sensed overview is at the reference overview's ground resolution. Against a small
  // reference inside a whole scene that is most of the scene (a 25000 px scene against a
  // 1000 px chip: 156 M pixels for the keypoint hypotheses, tens of GB): beyond
  // kMaxSensedOverviewShare times longest² pixels, both are read coarser, so that time and memory
  // stay bounded; such a search may then find nothing, and says so.
  const double perRef = nominal > 0 ? nominal : 1.0;
  const double senScale0 = static_cast<double>(c.ref.width()) / rwid * perRef;
  const double senPixels = static_cast<double>(c.sen.width()) * c.sen.height() / (senScale0 * senScale0);
  const double budget = kMaxSensedOverviewShare * longest * longest;
  if (senPixels > budget) rwid = overviewSide(rw, std::max(1, static_cast<int>(longest / std::sqrt(senPixels / budget))), &rh);
  o.refScale = static_cast<double>(c.ref.width()) / rwid;
  o.ref = readProcessed(c.ref, c.refBands, rw, rwid, rh);
  o.senScale = o.refScale * perRef;
  const int sw = std::max(1, static_cast<int>(std::lround(c.sen.width() / o.senScale)));
  const int sh = std::max(1, static_cast<int>(std::lround(c.sen.height() / o.senScale)));
  const PixelWindow sWin{0, 0, static_cast<int>(std::lround(sw * o.senScale)), static_cast<int>(std::lround(sh * o.senScale))};
  o.sen = readProcessed(c.sen, c.senBands, sWin, sw, sh);
  return o;
}

double contentStartReach(double refScale, double footprintPx) { return 2 * refScale + 0.06 * footprintPx; }

double georefReachPx(const GeoRaster& ref, const MatchOptions& opt) {
  if (opt.maxOffset <= 0) return 256;
  const double metres = groundPixelSizeMetres(ref);
  return opt.maxOffset / (std::isfinite(metres) ? metres : ref.pixelSize());
}

void checkReference(const GeoRaster& ref) {
  if (!ref.hasGeoTransform())
    throw Error("the reference '" + ref.path() +
                "' has no geotransform; mmreg aligns onto a georeferenced reference: georeference it first "
                "(gdal_translate -a_ullr/-a_srs, or gdalwarp if it has GCPs)");
}

}  // namespace mmreg
