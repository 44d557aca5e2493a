#include <qgsprocessingparameters.h>

#include "mmreg_algorithms.h"

QString CoregisterAlgorithm::shortHelpString() const {
  return QObject::tr("<p>Aligns the sensed raster (e.g. SAR) onto the georeferenced reference raster (e.g. optical) and "
                     "writes it resampled onto the reference grid, or, with <i>Georeference only</i>, unresampled with the "
                     "fitted geotransform or GCPs attached. Also writes the tie points and a JSON report.</p>") +
         methodHelp();
}

void CoregisterAlgorithm::initAlgorithm(const QVariantMap&) {
  addInputParameters(true);
  addModelParameter();
  addParameter(new QgsProcessingParameterBoolean(QStringLiteral("GEOREF_ONLY"), QObject::tr("Georeference only (do not resample)"), false));
  auto* resampling = new QgsProcessingParameterEnum(QStringLiteral("RESAMPLING"), QObject::tr("Resampling"),
                                                    QStringList{"near", "bilinear", "cubic", "cubicspline", "lanczos", "average"},
                                                    false, 1);
  resampling->setFlags(resampling->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(resampling);
  addParameter(new QgsProcessingParameterRasterDestination(QStringLiteral("OUTPUT"), QObject::tr("Co-registered raster")));
  addParameter(new QgsProcessingParameterFeatureSink(QStringLiteral("TIE_POINTS"), QObject::tr("Tie points"),
                                                     QgsProcessing::TypeVectorPoint, QVariant(), true));
  addParameter(new QgsProcessingParameterFileDestination(QStringLiteral("REPORT"), QObject::tr("Report"),
                                                         QObject::tr("JSON files (*.json)"), QVariant(), true));
}

bool CoregisterAlgorithm::prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback*) {
  resolveInputs(parameters, context);
  return true;
}

QVariantMap CoregisterAlgorithm::processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context,
                                                  QgsProcessingFeedback* feedback) {
  auto o = optionsFrom(parameters, context, true);
  const QString output = rasterOutput(parameters, context, o.out);
  o.out.resampling = QStringList{"near", "bilinear", "cubic", "cubicspline", "lanczos", "average"}
                         .value(parameterAsEnum(parameters, QStringLiteral("RESAMPLING"), context))
                         .toStdString();
  const QString report = parameterAsFileOutput(parameters, QStringLiteral("REPORT"), context);
  o.out.reportPath = report.toStdString();
  const auto result = run(feedback, [&](const mmreg::ProgressFn& p) { return mmreg::coregister(o, p); });
  logSummary(feedback, result);
  QVariantMap out;
  out.insert(QStringLiteral("OUTPUT"), output);
  out.insert(QStringLiteral("TIE_POINTS"), writeTiePointSink(parameters, context, result));
  if (!report.isEmpty()) out.insert(QStringLiteral("REPORT"), report);
  addResultOutputs(out, result);
  return out;
}
