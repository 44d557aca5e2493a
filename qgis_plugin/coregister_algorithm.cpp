#include <qgsprocessingparameters.h>

#include "mmreg/option_table.h"
#include "mmreg_algorithms.h"

QString CoregisterAlgorithm::shortHelpString() const {
  return QObject::tr("<p>Aligns the sensed raster (e.g. SAR) onto the georeferenced reference raster (e.g. optical) and "
                     "writes it resampled onto the reference grid, or, with <i>Georeference only</i>, unresampled with the "
                     "fitted geotransform or GCPs attached. Also writes the tie points and a JSON report.</p>") +
         methodHelp();
}

void CoregisterAlgorithm::initAlgorithm(const QVariantMap&) {
  addInputParameters();
  addDeclaredParameters(mmreg::kScopeMatching | mmreg::kScopeModel | mmreg::kScopeRaster | mmreg::kScopeReport |
                        mmreg::kScopeRpcOutput);
  addParameter(new QgsProcessingParameterRasterDestination(QStringLiteral("OUTPUT"), QObject::tr("Co-registered raster")));
  addParameter(new QgsProcessingParameterFeatureSink(QStringLiteral("TIE_POINTS"), QObject::tr("Tie points"),
                                                     QgsProcessing::TypeVectorPoint, QVariant(), true));
}

bool CoregisterAlgorithm::prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) {
  resolveInputs(parameters, context, feedback);
  return true;
}

QVariantMap CoregisterAlgorithm::processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context,
                                                  QgsProcessingFeedback* feedback) {
  QVariantMap out;
  auto o = optionsFrom(parameters, context, out);
  const QString output = rasterOutput(parameters, context, o.out);
  const auto result = run(feedback, [&](const mmreg::ProgressFn& p) { return mmreg::coregister(o, p); });
  logSummary(feedback, result);
  out.insert(QStringLiteral("OUTPUT"), output);
  out.insert(QStringLiteral("TIE_POINTS"), writeTiePointSink(parameters, context, result));
  addResultOutputs(out, result);
  return out;
}
