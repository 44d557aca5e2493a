#pragma once
// What the mmreg algorithms share: the matching parameters, reading them into the library's
// options, the progress/cancel bridge, the tie-point sink, and the one error translation
// (mmreg::Error -> QgsProcessingException).
#include <qgscoordinatereferencesystem.h>
#include <qgsprocessingalgorithm.h>

#include <functional>

#include "mmreg/coregister.h"

class QgsFeatureSink;
class QgsRasterLayer;

class MmregAlgorithm : public QgsProcessingAlgorithm {
 public:
  QString group() const override { return QStringLiteral("Co-registration"); }
  QString groupId() const override { return QStringLiteral("coregistration"); }

 protected:
  // REFERENCE and SENSED raster layers; with `matching`, also bands, matcher, tiles, margin.
  void addInputParameters(bool matching);
  // MODEL (+ advanced THRESHOLD, CHECK_SHARE), the verdict's bounds (advanced MAX_SCALE_CHANGE,
  // MAX_ROTATION, MAX_ANISOTROPY, KEEP_DOUBTFUL), and the VERDICT output.
  void addModelParameter();
  // Resolves the raster layers to GDAL file paths (main thread).
  void resolveInputs(const QVariantMap& parameters, QgsProcessingContext& context);
  mmreg::CoregisterOptions optionsFrom(const QVariantMap& parameters, QgsProcessingContext& context, bool matching) const;
  // OUTPUT (raster destination, format from its extension) and GEOREF_ONLY into `out`;
  // returns the output path.
  QString rasterOutput(const QVariantMap& parameters, QgsProcessingContext& context, mmreg::OutputOptions& out) const;
  // Runs `job` with progress and cancel wired to `feedback`; translates every library error.
  mmreg::CoregisterResult run(QgsProcessingFeedback* feedback,
                              const std::function<mmreg::CoregisterResult(const mmreg::ProgressFn&)>& job) const;
  // Writes the tie points into the TIE_POINTS sink in the reference CRS; returns its identifier.
  QString writeTiePointSink(const QVariantMap& parameters, QgsProcessingContext& context,
                            const mmreg::CoregisterResult& result) const;
  static void logSummary(QgsProcessingFeedback* feedback, const mmreg::CoregisterResult& result);
  // The outputs every algorithm reports: VERDICT and RMSE_CHECK_PX.
  static void addResultOutputs(QVariantMap& out, const mmreg::CoregisterResult& result);
  static QString methodHelp();

  QString referencePath_, sensedPath_;
  QgsCoordinateReferenceSystem referenceCrs_;
};
