#include <qgsprocessingparameters.h>

#include "mmreg/option_table.h"
#include "mmreg_algorithms.h"

QString ExtractTiePointsAlgorithm::shortHelpString() const {
  return QObject::tr("<p>Matches the sensed raster against the reference and writes the tie points only: a point layer "
                     "in the reference CRS with both positions, residuals, and inlier and check flags, and optionally a "
                     "QGIS Georeferencer <i>.points</i> file of the inliers. Edit the layer and run <i>Apply tie points</i>, "
                     "or load the .points file in the Georeferencer.</p>") +
         methodHelp();
}

void ExtractTiePointsAlgorithm::initAlgorithm(const QVariantMap&) {
  addInputParameters();
  addDeclaredParameters(mmreg::kScopeMatching | mmreg::kScopeModel | mmreg::kScopeReport | mmreg::kScopePointsFile);
  addParameter(new QgsProcessingParameterFeatureSink(QStringLiteral("TIE_POINTS"), QObject::tr("Tie points"),
                                                     QgsProcessing::TypeVectorPoint));
}

bool ExtractTiePointsAlgorithm::prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) {
  resolveInputs(parameters, context, feedback);
  return true;
}

QVariantMap ExtractTiePointsAlgorithm::processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context,
                                                        QgsProcessingFeedback* feedback) {
  QVariantMap out;
  auto o = optionsFrom(parameters, context, out);
  const auto result = run(feedback, [&](const mmreg::ProgressFn& p) { return mmreg::coregister(o, p); });
  logSummary(feedback, result);
  out.insert(QStringLiteral("TIE_POINTS"), writeTiePointSink(parameters, context, result));
  addResultOutputs(out, result);
  return out;
}
