#pragma once
// What the mmreg algorithms share: the matching parameters, reading them into the library's
// options, the progress/cancel bridge, the tie-point sink, and the one error translation
// (mmreg::Error -> QgsProcessingException).
#include <qgscoordinatereferencesystem.h>
#include <qgsprocessingalgorithm.h>

#include <functional>

#include "mmreg/coregister.h"
#include "mmreg/raster.h"

class QgsFeatureSink;
class QgsRasterLayer;

class MmregAlgorithm : public QgsProcessingAlgorithm {
 public:
  QString group() const override { return QStringLiteral("Co-registration"); }
  QString groupId() const override { return QStringLiteral("coregistration"); }

 protected:
  // REFERENCE and SENSED raster layers.
  void addInputParameters();
  // The declared options of `scope` (mmreg::OptionScope bits; see mmreg/option_table.h) as
  // parameters, and the VERDICT and RMSE_CHECK_PX outputs.
  void addDeclaredParameters(unsigned scope);
  // Resolves the raster layers to GDAL file paths, each read in the CRS its layer has in QGIS
  // (main thread).
  void resolveInputs(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback);
  // The inputs and every declared parameter; `destinations` receives the file outputs given.
  mmreg::CoregisterOptions optionsFrom(const QVariantMap& parameters, QgsProcessingContext& context,
                                       QVariantMap& destinations) const;
  // OUTPUT (raster destination, format from its extension) into `out`; returns the output path.
  QString rasterOutput(const QVariantMap& parameters, QgsProcessingContext& context, mmreg::OutputOptions& out) const;
  // Runs `job` with progress and cancel wired to `feedback`; translates every library error.
  mmreg::CoregisterResult run(QgsProcessingFeedback* feedback,
                              const std::function<mmreg::CoregisterResult(const mmreg::ProgressFn&)>& job) const;
  // Writes the tie points into the TIE_POINTS sink in the reference CRS; returns its identifier.
  QString writeTiePointSink(const QVariantMap& parameters, QgsProcessingContext& context,
                            const mmreg::CoregisterResult& result) const;
  // GeoRaster::open with its error translated, for the algorithms' own reads.
  static mmreg::GeoRaster openRaster(const QString& path);
  static void logSummary(QgsProcessingFeedback* feedback, const mmreg::CoregisterResult& result);
  // The outputs every algorithm reports: VERDICT and RMSE_CHECK_PX.
  static void addResultOutputs(QVariantMap& out, const mmreg::CoregisterResult& result);
  static QString methodHelp();

  QString referencePath_, sensedPath_;
  QString sensedLayerCrs_;  // WKT; empty when the sensed file carries its layer's CRS
  unsigned scope_ = 0;
  QgsCoordinateReferenceSystem referenceCrs_;
};
