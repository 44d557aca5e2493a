#include <cpl_string.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <gdal_vrt.h>
#include <ogr_spatialref.h>
#include <vrtdataset.h>

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "mmreg/error.h"
#include "mmreg/outputs.h"
#include "output/georef_readback.h"
#include "raster/paletted.h"

namespace mmreg {

std::string geoPackageRasterTable(const OutputOptions& o) {
  for (const auto& c : o.creationOptions)
    if (STARTS_WITH_CI(c.c_str(), "RASTER_TABLE=")) return c.substr(std::strlen("RASTER_TABLE="));
  return CPLGetBasename(o.output.c_str());
}

namespace {

constexpr int kGcpGrid = 12;  // 144 GCPs: a polynomial of order <= 3 is reproduced exactly

struct DatasetCloser {
  void operator()(GDALDatasetH ds) const {
    if (ds) GDALClose(ds);
  }
};
using DatasetPtr = std::unique_ptr<void, DatasetCloser>;

// Reports GDAL progress into a ProgressSpan; a cancel is remembered, never thrown through C.
struct ProgressBridge {
  const ProgressSpan& span;
  bool cancelled = false;
  static int CPL_STDCALL call(double f, const char*, void* self) {
    auto* b = static_cast<ProgressBridge*>(self);
    try {
      b->span.update(f, "writing output");
    } catch (const Cancelled&) {
      b->cancelled = true;
      return FALSE;
    }
    return TRUE;
  }
};

// A path in one of GDAL's archive file systems with its archive made absolute
// (/vsizip/scenes.zip/s1.tif -> /vsizip//data/scenes.zip/s1.tif): GDAL finds a relative archive
// from the current folder. Other paths are returned as they are.
std::string absoluteArchivePath(const std::string& path) {
  for (const std::string prefix : {"/vsizip/", "/vsitar/", "/vsigzip/", "/vsi7z/", "/vsirar/"}) {
    if (path.rfind(prefix, 0) != 0) continue;
    const std::string rest = path.substr(prefix.size());
    if (rest.rfind("/vsi", 0) == 0) return prefix + absoluteArchivePath(rest);  // an archive in an archive
    if (rest.empty() || rest[0] == '/') return path;
    char buf[PATH_MAX];
    if (rest[0] == '{') {  // /vsizip/{scenes.zip}/s1.tif
      const size_t close = rest.find('}');
      if (close == std::string::npos || !realpath(rest.substr(1, close - 1).c_str(), buf)) return path;
      return prefix + "{" + buf + "}" + rest.substr(close + 1);
    }
    // The archive is the first part of the path that is a file.
    for (size_t end = rest.find('/'); ; end = rest.find('/', end + 1)) {
      const std::string archive = rest.substr(0, end);
      VSIStatBufL st;
      if (VSIStatL(archive.c_str(), &st) == 0 && VSI_ISREG(st.st_mode) && realpath(archive.c_str(), buf))
        return prefix + buf + (end == std::string::npos ? "" : rest.substr(end));
      if (end == std::string::npos) return path;
    }
  }
  return path;
}

// The name that opens the sensed raster from any folder: a file's absolute path, or a
// connection string (GPKG:scene.gpkg:vv, NETCDF:"scene.nc":sigma0) with its file made absolute;
// a file in an archive (/vsizip/scenes.zip/s1.tif) gets its archive made absolute.
std::string absoluteName(const GeoRaster& sen) {
  char buf[PATH_MAX];
  const std::string path = sen.path();
  if (realpath(path.c_str(), buf)) return buf;
  const CPLStringList files(GDALGetFileList(GDALDataset::ToHandle(sen.handle())));
  if (files.size() == 0) return absoluteArchivePath(path);
  const std::string file = files[0];
  std::string absolute;
  if (file.rfind("/vsi", 0) == 0)
    absolute = absoluteArchivePath(file);
  else if (file[0] != '/' && realpath(file.c_str(), buf))
    absolute = buf;
  else
    return path;
  const size_t at = path.find(file);
  return at == std::string::npos ? absoluteArchivePath(path) : path.substr(0, at) + absolute + path.substr(at + file.size());
}

// The sensed raster opened again under its absolute name, for VRTs that outlive this run: a VRT
// names its sources, and a name relative to the current folder breaks anywhere else.
DatasetPtr openAbsolute(const GeoRaster& sen) {
  const std::string path = absoluteName(sen);
  DatasetPtr ds(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!ds) throw Error("cannot open '" + path + "' again to reference it from the VRT output: " + CPLGetLastErrorMsg());
  return ds;
}

// What gdalwarp carries from a source band into the output, so that a SAR band stored as scaled
// integers keeps its scale, offset and unit, and its name and metadata.
void copyBandInfo(GDALRasterBandH src, GDALRasterBandH dst) {
  GDALSetDescription(dst, GDALGetDescription(src));
  GDALSetRasterUnitType(dst, GDALGetRasterUnitType(src));
  int hasScale = 0, hasOffset = 0;
  const double scale = GDALGetRasterScale(src, &hasScale), offset = GDALGetRasterOffset(src, &hasOffset);
  if (hasScale) GDALSetRasterScale(dst, scale);
  if (hasOffset) GDALSetRasterOffset(dst, offset);
  if (char** names = GDALGetRasterCategoryNames(src)) GDALSetRasterCategoryNames(dst, names);
  // Statistics are left out, as gdalwarp leaves them: they describe the input's pixels.
  CPLStringList md;
  for (char** item = GDALGetMetadata(src, nullptr); item && *item; ++item)
    if (!STARTS_WITH_CI(*item, "STATISTICS_")) md.AddString(*item);
  if (!md.empty()) GDALSetMetadata(dst, md.List(), nullptr);
}

// The sensed raster's own metadata (acquisition time, mission, product), as gdalwarp keeps it.
// AREA_OR_POINT is left out: the fitted geotransform is in GDAL's pixel-corner convention
// whatever the sensed file declared, and the output's driver writes its own.
void copyDatasetMetadata(GDALDatasetH src, GDALDatasetH dst) {
  CPLStringList md(CSLDuplicate(GDALGetMetadata(src, nullptr)));
  md.SetNameValue(GDALMD_AREA_OR_POINT, nullptr);
  if (!md.empty()) GDALSetMetadata(dst, md.List(), nullptr);
}

// A VRT over every band of `sensed` (the raster of `sen`), carrying the fitted georeferencing.
// `sensed` must stay open as long as the VRT.
DatasetPtr fittedVrt(const GeoRaster& ref, const GeoRaster& sen, GDALDatasetH sensed, const FittedGeoref& g, const std::string& path) {
  GDALDriverH vrtDrv = GDALGetDriverByName("VRT");
  DatasetPtr vrt(GDALCreate(vrtDrv, path.c_str(), sen.width(), sen.height(), 0, GDT_Byte, nullptr));
  if (!vrt) throw Error("cannot create a VRT at '" + path + "': " + CPLGetLastErrorMsg());
  for (int b = 1; b <= sen.bandCount(); ++b) {
    GDALRasterBandH src = GDALGetRasterBand(sensed, b);
    GDALAddBand(vrt.get(), GDALGetRasterDataType(src), nullptr);
    GDALRasterBandH dst = GDALGetRasterBand(vrt.get(), b);
    VRTAddSimpleSource(static_cast<VRTSourcedRasterBandH>(dst), src, 0, 0, sen.width(), sen.height(), 0, 0, sen.width(),
                       sen.height(), "near", VRT_NODATA_UNSET);
    // The nodata the user declared (-srcnodata) is not in the file a VRT output names.
    int hasNodata = 0;
    const double nodata = sen.nodataOverride() ? *sen.nodataOverride() : GDALGetRasterNoDataValue(src, &hasNodata);
    if (hasNodata || sen.nodataOverride()) GDALSetRasterNoDataValue(dst, nodata);
    GDALSetRasterColorInterpretation(dst, GDALGetRasterColorInterpretation(src));
    if (GDALColorTableH table = GDALGetRasterColorTable(src)) GDALSetRasterColorTable(dst, table);
    copyBandInfo(src, dst);
  }
  copyDatasetMetadata(sensed, vrt.get());
  // A per-dataset mask (an internal or .msk mask, as around JPEG-compressed orthophotos) travels
  // with the VRT, so the warper leaves masked pixels out as it leaves nodata out. A declared
  // nodata replaces it, as in reading.
  GDALRasterBandH first = GDALGetRasterBand(sensed, 1);
  if (GDALGetMaskFlags(first) == GMF_PER_DATASET && !sen.nodataOverride()) {
    if (GDALCreateDatasetMaskBand(vrt.get(), GMF_PER_DATASET) != CE_None)
      throw Error(std::string("cannot carry the sensed raster's mask into the output: ") + CPLGetLastErrorMsg());
    // As the mask of the source's band 1 (not the mask band itself, which has no file to name),
    // so that the VRT output's XML can name it too.
    auto* mask = dynamic_cast<VRTSourcedRasterBand*>(GDALRasterBand::FromHandle(GDALGetRasterBand(vrt.get(), 1))->GetMaskBand());
    if (!mask || mask->AddMaskBandSource(GDALRasterBand::FromHandle(first)) != CE_None)
      throw Error(std::string("cannot carry the sensed raster's mask into the output: ") + CPLGetLastErrorMsg());
  }
  OGRSpatialReference srs;
  const std::string wkt = ref.crsWkt();
  if (!wkt.empty()) srs.importFromWkt(wkt.c_str());
  auto* ds = GDALDataset::FromHandle(vrt.get());
  if (g.hasGeoTransform) {
    GeoTransform gt = g.geoTransform;
    ds->SetGeoTransform(gt.data());
    if (!wkt.empty()) ds->SetSpatialRef(&srs);
  } else {
    std::vector<GDAL_GCP> gcps(g.gcps.size());
    std::vector<std::string> ids(g.gcps.size());
    for (size_t i = 0; i < g.gcps.size(); ++i) {
      ids[i] = std::to_string(i + 1);
      gcps[i] = {const_cast<char*>(ids[i].c_str()), const_cast<char*>(""), g.gcps[i].first.x, g.gcps[i].first.y,
                 g.gcps[i].second.x, g.gcps[i].second.y, 0};
    }
    ds->SetGCPs(static_cast<int>(gcps.size()), gcps.data(), wkt.empty() ? nullptr : &srs);
  }
  return vrt;
}

bool hasOption(const std::vector<std::string>& co, const char* name) {
  for (auto& c : co)
    if (STARTS_WITH_CI(c.c_str(), (std::string(name) + "=").c_str())) return true;
  return false;
}

std::vector<std::string> creationOptions(const OutputOptions& o) {
  auto co = o.creationOptions;
  if ((EQUAL(o.format.c_str(), "GTiff") || EQUAL(o.format.c_str(), "COG")) && !hasOption(co, "BIGTIFF"))
    co.push_back("BIGTIFF=IF_SAFER");
  // GeoPackage names its table after the file it is given, which is the temporary name.
  if (EQUAL(o.format.c_str(), "GPKG") && !o.output.empty() && !hasOption(co, "RASTER_TABLE"))
    co.push_back("RASTER_TABLE=" + geoPackageRasterTable(o));
  return co;
}

std::string fmt(double v) { return CPLSPrintf("%.17g", v); }

// What a -georef_only output must carry: the fitted geotransform or GCPs, in the reference CRS.
WrittenGeoref fittedGeoref(const GeoRaster& ref, const FittedGeoref& g) {
  WrittenGeoref w;
  if (g.hasGeoTransform) w.geoTransform = g.geoTransform;
  else w.gcps = g.gcps;
  w.crsWkt = ref.crsWkt();
  w.pixelMapUnits = ref.pixelSize();
  return w;
}

}  // namespace

FittedGeoref describeFit(const GeoRaster& ref, const GeoRaster& sen, const Transform2D& forward) {
  const GeoTransform r = ref.geoTransform();
  FittedGeoref g;
  if (forward.isAffine()) {
    const auto a = forward.affineMatrix();
    g.hasGeoTransform = true;
    g.geoTransform = {r[0] + r[1] * a[2] + r[2] * a[5], r[1] * a[0] + r[2] * a[3], r[1] * a[1] + r[2] * a[4],
                      r[3] + r[4] * a[2] + r[5] * a[5], r[4] * a[0] + r[5] * a[3], r[4] * a[1] + r[5] * a[4]};
    return g;
  }
  auto toMap = [&](Point2 p) { return applyGeoTransform(r, forward.apply(p)); };
  if (forward.type() == ModelType::Tps) {
    for (auto& cp : forward.controlPoints()) g.gcps.emplace_back(cp.first, applyGeoTransform(r, cp.second));
    g.polynomialOrder = 0;
    return g;
  }
  // Projective has no GDAL polynomial equivalent: a denser grid, interpolated by GDAL's TPS.
  const int n = forward.type() == ModelType::Projective ? 2 * kGcpGrid : kGcpGrid;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const Point2 p{sen.width() * i / (n - 1.0), sen.height() * j / (n - 1.0)};
      g.gcps.emplace_back(p, toMap(p));
    }
  g.polynomialOrder = forward.type() == ModelType::Poly2 ? 2 : forward.type() == ModelType::Poly3 ? 3 : 0;
  return g;
}

namespace {

// Writes a small raster of `bands` x `type` as `format` in memory; GDAL's error, or "" when it
// was written.
std::string probeWrite(GDALDriverH driver, int bands, GDALDataType type, const std::vector<std::string>& co) {
  const std::string dir = CPLSPrintf("/vsimem/mmreg_format_probe_%p", static_cast<const void*>(&co));
  VSIMkdir(dir.c_str(), 0755);
  DatasetPtr mem(GDALCreate(GDALGetDriverByName("MEM"), "", 64, 64, bands, type, nullptr));
  CPLStringList options;
  for (const auto& c : co) options.AddString(c.c_str());
  CPLErrorReset();
  CPLPushErrorHandler(CPLQuietErrorHandler);
  const char* ext = GDALGetMetadataItem(driver, GDAL_DMD_EXTENSION, nullptr);
  const std::string path = dir + "/probe." + (ext && *ext ? ext : "out");
  DatasetPtr out(GDALCreateCopy(driver, path.c_str(), mem.get(), FALSE, options.List(), nullptr, nullptr));
  const bool written = out && CPLGetLastErrorType() != CE_Failure;
  out.reset();
  std::string why = written ? "" : (CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "the driver wrote nothing");
  CPLPopErrorHandler();
  VSIRmdirRecursive(dir.c_str());
  for (size_t at; (at = why.find(path + ": ")) != std::string::npos;) why.erase(at, path.size() + 2);  // the probe's name
  while (!why.empty() && (why.back() == '.' || why.back() == ' ')) why.pop_back();
  return why;
}

}  // namespace

void checkOutputCanHoldThePixels(const GeoRaster& sen, const OutputOptions& o) {
  if (o.output.empty() || EQUAL(o.format.c_str(), "VRT")) return;  // a VRT holds any type and refers to the pixels
  GDALDriverH driver = GDALGetDriverByName(o.format.c_str());
  if (!driver) return;  // validateOptions names it
  const GDALDataType type = sen.handle()->GetRasterBand(1)->GetRasterDataType();
  const int bands = sen.bandCount() + (o.dstAlpha && !o.georefOnly && !o.rpcRefine ? 1 : 0);
  const std::string what = std::to_string(bands) + (bands == 1 ? " band" : " bands") + " of " + GDALGetDataTypeName(type);
  const char* types = GDALGetMetadataItem(driver, GDAL_DMD_CREATIONDATATYPES, nullptr);
  // PNG and JPEG would convert Float32 to Byte with a mere warning: dB values would all become 0.
  if (types && CPLStringList(CSLTokenizeString(types)).FindString(GDALGetDataTypeName(type)) < 0)
    throw Error("the output format " + o.format + " cannot hold the output's " + GDALGetDataTypeName(type) + " pixels (it writes " +
                types + "); choose GTiff or COG, or convert the sensed raster first (gdal_translate -ot, -scale)");
  if (!probeWrite(driver, 1, GDT_Byte, {}).empty()) return;  // the driver cannot write in memory: nothing to learn here
  const std::string asIs = probeWrite(driver, bands, type, {});
  if (!asIs.empty())
    throw Error("the output format " + o.format + " cannot write the output's " + what + ": " + asIs + "; choose GTiff or COG");
  if (o.creationOptions.empty()) return;
  const std::string withOptions = probeWrite(driver, bands, type, creationOptions(o));
  if (!withOptions.empty()) {
    std::string given;
    for (const auto& c : o.creationOptions) given += (given.empty() ? "" : " ") + c;
    throw Error("the creation options " + given + " do not suit the output (" + what + " as " + o.format + "): " + withOptions +
                "; change them or leave them out");
  }
}

void writeGeorefOnly(const GeoRaster& ref, const GeoRaster& sen, const Transform2D& forward, const OutputOptions& o,
                     const std::string& path, const ProgressSpan& progress) {
  const FittedGeoref g = describeFit(ref, sen, forward);
  if (EQUAL(o.format.c_str(), "VRT")) {
    const DatasetPtr source = openAbsolute(sen);
    DatasetPtr vrt = fittedVrt(ref, sen, source.get(), g, path);
    vrt.reset();  // written on close, while its source is still open
    checkGeorefKept(path, o.format, fittedGeoref(ref, g));
    progress.update(1.0, "writing output");
    return;
  }
  DatasetPtr vrt = fittedVrt(ref, sen, GDALDataset::ToHandle(sen.handle()), g, "");
  GDALDriverH drv = GDALGetDriverByName(o.format.c_str());
  CPLStringList co;
  for (auto& c : creationOptions(o)) co.AddString(c.c_str());
  ProgressBridge bridge{progress};
  CPLErrorReset();
  // A GeoTIFF keeps the sensed raster's mask inside, not in a .msk beside it (unless the user set it).
  const CPLConfigOptionSetter internalMask("GDAL_TIFF_INTERNAL_MASK", "YES", true);
  DatasetPtr out(GDALCreateCopy(drv, path.c_str(), vrt.get(), FALSE, co.List(), ProgressBridge::call, &bridge));
  if (bridge.cancelled) throw Cancelled();
  if (!out) throw Error("writing '" + path + "' as " + o.format + " failed: " + CPLGetLastErrorMsg());
  out.reset();
  checkGeorefKept(path, o.format, fittedGeoref(ref, g));
}

void writeRefinedRpc(const GeoRaster& sen, const RpcRefinement& refinement, const OutputOptions& o, const std::string& path,
                     const ProgressSpan& progress) {
  // A VRT of the sensed raster carries the new RPCs into the copy, which every driver writes
  // its own way (GeoTIFF: RPC tags). A VRT output names its source, by the name that opens it
  // from any folder, with the nodata declared on the run (-srcnodata) declared in it.
  const DatasetPtr absoluteSource = EQUAL(o.format.c_str(), "VRT") ? openAbsolute(sen) : nullptr;
  CPLStringList args;
  args.AddString("-of");
  args.AddString("VRT");
  if (absoluteSource && sen.nodataOverride()) {
    for (const char* a : {"-mask", "none", "-a_nodata"}) args.AddString(a);
    args.AddString(fmt(*sen.nodataOverride()).c_str());
  }
  GDALTranslateOptions* to = GDALTranslateOptionsNew(args.List(), nullptr);
  int usageError = FALSE;
  DatasetPtr vrt(GDALTranslate("", absoluteSource ? absoluteSource.get() : GDALDataset::ToHandle(sen.handle()), to, &usageError));
  GDALTranslateOptionsFree(to);
  if (!vrt) throw Error(std::string("cannot copy the sensed raster for the refined RPCs: ") + CPLGetLastErrorMsg());
  CPLStringList rpc;
  for (const auto& kv : refinement.metadata) rpc.AddString(kv.c_str());
  GDALSetMetadata(vrt.get(), rpc.List(), "RPC");
  CPLStringList co;
  for (auto& c : creationOptions(o)) co.AddString(c.c_str());
  ProgressBridge bridge{progress};
  CPLErrorReset();
  const CPLConfigOptionSetter internalMask("GDAL_TIFF_INTERNAL_MASK", "YES", true);  // as in writeGeorefOnly
  DatasetPtr out(GDALCreateCopy(GDALGetDriverByName(o.format.c_str()), path.c_str(), vrt.get(), FALSE, co.List(), ProgressBridge::call,
                                &bridge));
  if (bridge.cancelled) throw Cancelled();
  if (!out) throw Error("writing '" + path + "' as " + o.format + " failed: " + CPLGetLastErrorMsg());
  out.reset();
  checkRpcKept(path, o.format, refinement.metadata);
}

void writeWarped(const GeoRaster& ref, const GeoRaster& sen, const Transform2D& forward, const OutputOptions& o,
                 const std::string& path, const ProgressSpan& progress) {
  const FittedGeoref g = describeFit(ref, sen, forward);
  // A warped VRT names its source dataset, and the fitted VRT exists only in memory: for a VRT
  // output the source becomes the fitted VRT's own XML (GDAL opens a VRT from its text), over
  // the sensed raster's absolute path. Declared in the order that closes each after its users.
  const bool vrtOutput = EQUAL(o.format.c_str(), "VRT");
  const DatasetPtr absoluteSource = vrtOutput ? openAbsolute(sen) : nullptr;
  const DatasetPtr vrt = fittedVrt(ref, sen, vrtOutput ? absoluteSource.get() : GDALDataset::ToHandle(sen.handle()), g, "");
  DatasetPtr inlineSource;
  if (vrtOutput) {
    char** xml = GDALGetMetadata(vrt.get(), "xml:VRT");
    if (!xml || !xml[0]) throw Error("cannot describe the fitted georeferencing as VRT XML for the VRT output");
    inlineSource.reset(GDALOpenEx(xml[0], GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!inlineSource) throw Error(std::string("cannot open the fitted VRT for the VRT output: ") + CPLGetLastErrorMsg());
  }
  CPLStringList args;
  args.AddString("-of");
  args.AddString(o.format.c_str());
  // Colour indices (a paletted map) only survive resampling by picking one: near, or mode.
  const bool paletted = isPaletted(GDALGetRasterBand(vrt.get(), 1));
  args.AddString("-r");
  args.AddString(paletted && o.resampling != "near" && o.resampling != "mode" ? "near" : o.resampling.c_str());
  args.AddString("-wm");
  args.AddString(std::to_string(o.warpMemoryMB).c_str());
  args.AddString("-wo");
  args.AddString(o.threads > 0 ? CPLSPrintf("NUM_THREADS=%d", o.threads) : "NUM_THREADS=ALL_CPUS");
  for (auto& c : creationOptions(o)) {
    args.AddString("-co");
    args.AddString(c.c_str());
  }
  if (o.dstNodata) {
    args.AddString("-dstnodata");
    args.AddString(fmt(*o.dstNodata).c_str());
  }
  if (o.dstAlpha) args.AddString("-dstalpha");
  if (!g.hasGeoTransform) {
    if (g.polynomialOrder > 0) {
      args.AddString("-order");
      args.AddString(std::to_string(g.polynomialOrder).c_str());
    } else {
      args.AddString("-tps");
    }
  }
  const std::string wkt = ref.crsWkt();
  WrittenGeoref written;
  written.crsWkt = wkt;
  written.pixelMapUnits = ref.pixelSize();
  if (!wkt.empty()) {
    args.AddString("-t_srs");
    args.AddString(wkt.c_str());
  }
  if (o.grid == OutputGrid::Reference) {
    const GeoTransform r = ref.geoTransform();
    if (isRotatedGrid(ref)) throw Error("internal: a rotated reference grid reached the warped output");  // checked up front
    const double x0 = r[0], x1 = r[0] + r[1] * ref.width();
    const double y0 = r[3], y1 = r[3] + r[5] * ref.height();
    args.AddString("-te");
    for (double v : {std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)}) args.AddString(fmt(v).c_str());
    args.AddString("-ts");
    args.AddString(std::to_string(ref.width()).c_str());
    args.AddString(std::to_string(ref.height()).c_str());
    written.geoTransform = GeoTransform{std::min(x0, x1), std::abs(x1 - x0) / ref.width(), 0,
                                       std::max(y0, y1), 0, -std::abs(y1 - y0) / ref.height()};
  }
  GDALWarpAppOptions* wo = GDALWarpAppOptionsNew(args.List(), nullptr);
  if (!wo) throw Error(std::string("invalid warp options: ") + CPLGetLastErrorMsg());
  ProgressBridge bridge{progress};
  GDALWarpAppOptionsSetProgress(wo, ProgressBridge::call, &bridge);
  GDALDatasetH src = inlineSource ? inlineSource.get() : vrt.get();
  int usageError = FALSE;
  CPLErrorReset();
  DatasetPtr out(GDALWarp(path.c_str(), nullptr, 1, &src, wo, &usageError));
  GDALWarpAppOptionsFree(wo);
  if (bridge.cancelled) throw Cancelled();
  if (!out) throw Error("warping to '" + path + "' failed: " + CPLGetLastErrorMsg());
  out.reset();
  checkGeorefKept(path, o.format, written);
}

}  // namespace mmreg
