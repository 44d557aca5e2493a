#include <qgsprocessingparameters.h>

#include "mmreg_algorithms.h"

QString ExtractTiePointsAlgorithm::shortHelpString() const {
  return QObject::tr("<p>Matches the sensed raster against the reference and writes the tie points only: a point layer "
                     "in the reference CRS with both positions, residuals, and inlier and check flags, and optionally a "
                     "QGIS Georeferencer <i>.points</i> file of the inliers. Edit the layer and run <i>Apply tie points</i>, "
                     "or load the .points file in the Georeferencer.</p>") +
         methodHelp();
}

void ExtractTiePointsAlgorithm::initAlgorithm(const QVariantMap&) {
  addInputParameters(true);
  addModelParameter();
  addParameter(new QgsProcessingParameterFeatureSink(QStringLiteral("TIE_POINTS"), QObject::tr("Tie points"),
                                                     QgsProcessing::TypeVectorPoint));
  addParameter(new QgsProcessingParameterFileDestination(QStringLiteral("POINTS_FILE"), QObject::tr("Georeferencer .points file"),
                                                         QObject::tr("Georeferencer points (*.points)"), QVariant(), true));
}

bool ExtractTiePointsAlgorithm::prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback*) {
  resolveInputs(parameters, context);
  return true;
}

QVariantMap ExtractTiePointsAlgorithm::processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context,
                                                        QgsProcessingFeedback* feedback) {
  auto o = optionsFrom(parameters, context, true);
  const QString pointsFile = parameterAsFileOutput(parameters, QStringLiteral("POINTS_FILE"), context);
  o.out.pointsPath = pointsFile.toStdString();
  const auto result = run(feedback, [&](const mmreg::ProgressFn& p) { return mmreg::coregister(o, p); });
  logSummary(feedback, result);
  QVariantMap out;
  out.insert(QStringLiteral("TIE_POINTS"), writeTiePointSink(parameters, context, result));
  if (!pointsFile.isEmpty()) out.insert(QStringLiteral("POINTS_FILE"), pointsFile);
  return out;
}
