#pragma once
// The pictures of the HTML report, as PNG bytes: what an analyst looks at to judge a
// registration (docs/ALGORITHM.md, "HTML report").
#include <string>
#include <vector>

#include "mmreg/coregister.h"
#include "mmreg/raster.h"

namespace mmreg {

struct ReportPicture {
  std::string caption;
  std::string jpeg;  // encoded bytes (JPEG keeps a report of imagery a few hundred KB)
};

struct ReportPictures {
  ReportPicture checkerboard;          // reference / registered sensed, whole reference at overview scale
  std::vector<ReportPicture> zooms;    // the same at full resolution on (up to) two tiles
  ReportPicture tiePoints;             // over the reference, coloured by residual, vectors exaggerated
  double exaggeration = 1;             // of the residual vectors
};

// Reads overviews of both rasters through the fitted model. Cheap: a few reads at most 900
// pixels a side.
ReportPictures makeReportPictures(const GeoRaster& reference, const GeoRaster& sensed, const CoregisterOptions& options,
                                  const CoregisterResult& result);

}  // namespace mmreg
