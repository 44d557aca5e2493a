// The GDAL driver that writes an output, chosen by the file's extension as gdal_translate and
// ogr2ogr choose it when -of is not given.
#include <cpl_string.h>
#include <gdal_priv.h>

#include "mmreg/error.h"
#include "mmreg/outputs.h"

namespace mmreg {
namespace {

// The first driver, in GDAL's order, of `kind` (GDAL_DCAP_RASTER or _VECTOR) that can write files
// ending in `ext`; "" when none can. Rasters are written by Create or CreateCopy, layers by Create.
std::string writerForExtension(const std::string& ext, const char* kind) {
  const bool raster = EQUAL(kind, GDAL_DCAP_RASTER);
  GDALDriverManager* drivers = GetGDALDriverManager();
  for (int i = 0; i < drivers->GetDriverCount(); ++i) {
    GDALDriver* d = drivers->GetDriver(i);
    const bool writes = d->GetMetadataItem(GDAL_DCAP_CREATE) || (raster && d->GetMetadataItem(GDAL_DCAP_CREATECOPY));
    if (!d->GetMetadataItem(kind) || !writes) continue;
    const char* list = d->GetMetadataItem(GDAL_DMD_EXTENSIONS);
    const CPLStringList extensions(CSLTokenizeString(list ? list : ""));
    for (int k = 0; k < extensions.size(); ++k)
      if (EQUAL(extensions[k], ext.c_str())) return d->GetDescription();
  }
  return "";
}

}  // namespace

std::string tiePointFormatFor(const std::string& path) {
  const std::string ext = CPLGetExtension(path.c_str());
  if (ext.empty()) return "";
  if (EQUAL(ext.c_str(), "gpkg")) return "GPKG";  // the documented default, whatever the drivers' order
  return writerForExtension(ext, GDAL_DCAP_VECTOR);
}

std::string rasterFormatFor(const std::string& path) {
  GDALAllRegister();  // callers may parse options before opening anything
  const std::string ext = CPLGetExtension(path.c_str());
  if (ext.empty()) return "GTiff";
  const std::string format = writerForExtension(ext, GDAL_DCAP_RASTER);
  if (format.empty())
    throw Error("no GDAL raster driver writes files ending in '." + ext + "' (the output '" + path +
                "'); give the format with -of (GTiff, COG, ...) or end the output in .tif");
  return format;
}

}  // namespace mmreg
