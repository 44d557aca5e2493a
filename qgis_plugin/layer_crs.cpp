#include "layer_crs.h"

#include <cpl_error.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <qgscoordinatereferencesystem.h>
#include <qgsogrutils.h>
#include <qgsexception.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingutils.h>
#include <qgsrasterlayer.h>

#include <array>

namespace {

enum class Georef { None, GeoTransform, Gcps };

struct FileCrs {
  GDALDatasetUniquePtr dataset;  // null: GDAL cannot open it (the library reports that)
  Georef georef = Georef::None;
  QgsCoordinateReferenceSystem crs;  // invalid: the file has none
};

// The file's georeferencing and CRS, the CRS built as QGIS's GDAL provider builds it, so an
// unchanged layer compares equal.
FileCrs readFileCrs(const QString& path) {
  FileCrs f;
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);  // an unreadable file is the library's to report
  f.dataset.reset(GDALDataset::Open(path.toUtf8().constData(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  GDALDataset* ds = f.dataset.get();
  if (!ds) return f;
  std::array<double, 6> gt{};
  const OGRSpatialReference* srs = nullptr;
  if (ds->GetGeoTransform(gt.data()) == CE_None) f.georef = Georef::GeoTransform, srs = ds->GetSpatialRef();
  else if (ds->GetGCPCount() > 0) f.georef = Georef::Gcps, srs = ds->GetGCPSpatialRef();
  if (srs) f.crs = QgsOgrUtils::OGRSpatialReferenceToCrs(OGRSpatialReference::ToHandle(const_cast<OGRSpatialReference*>(srs)));
  return f;
}

// The layer's CRS where the user gave it one that its georeferenced file does not carry.
bool assignedInQgis(const FileCrs& file, const QgsRasterLayer& layer) {
  return file.georef != Georef::None && layer.crs().isValid() && !(file.crs == layer.crs());
}

void tellTheCrsUsed(QgsProcessingFeedback* feedback, const QString& what, const QgsRasterLayer& layer, const FileCrs& file) {
  if (!feedback) return;
  feedback->pushInfo(QObject::tr("The %1 layer '%2' is in %3 in QGIS, and its file in %4: mmreg uses the layer's CRS, as QGIS "
                                 "shows it.")
                         .arg(what, layer.name(), layer.crs().userFriendlyIdentifier(),
                              file.crs.isValid() ? file.crs.userFriendlyIdentifier() : QObject::tr("no CRS")));
}

}  // namespace

QString referenceInLayerCrs(const QString& path, const QgsRasterLayer& layer, QgsProcessingFeedback* feedback) {
  const FileCrs file = readFileCrs(path);
  if (file.georef != Georef::GeoTransform || !assignedInQgis(file, layer)) return path;
  const QString vrt = QgsProcessingUtils::generateTempFilename(QStringLiteral("reference_in_layer_crs.vrt"));
  const QByteArray wkt = layer.crs().toWkt(QgsCoordinateReferenceSystem::WKT_PREFERRED_GDAL).toUtf8();
  const char* args[] = {"-of", "VRT", "-a_srs", wkt.constData(), nullptr};
  GDALTranslateOptions* options = GDALTranslateOptionsNew(const_cast<char**>(args), nullptr);
  int usageError = FALSE;
  CPLErrorReset();
  GDALDatasetH out = GDALTranslate(vrt.toUtf8().constData(), GDALDataset::ToHandle(file.dataset.get()), options, &usageError);
  GDALTranslateOptionsFree(options);
  if (!out)
    throw QgsProcessingException(QObject::tr("Cannot read the reference layer '%1' in its CRS %2 (%3). Save the layer with its "
                                             "CRS (Export > Save As) and choose the saved file.")
                                     .arg(layer.name(), layer.crs().userFriendlyIdentifier(), QString::fromUtf8(CPLGetLastErrorMsg())));
  GDALClose(out);
  tellTheCrsUsed(feedback, QObject::tr("reference"), layer, file);
  return vrt;
}

QString sensedLayerCrs(const QString& path, const QgsRasterLayer& layer, QgsProcessingFeedback* feedback) {
  const FileCrs file = readFileCrs(path);
  if (!assignedInQgis(file, layer)) return QString();
  tellTheCrsUsed(feedback, QObject::tr("sensed"), layer, file);
  return layer.crs().toWkt(QgsCoordinateReferenceSystem::WKT_PREFERRED_GDAL);
}
