#include <qgscoordinatetransform.h>
#include <qgsexception.h>
#include <qgsfeatureiterator.h>
#include <qgsgeometry.h>
#include <qgsprocessingparameters.h>
#include <qgsprocessingutils.h>


#include "mmreg/option_table.h"
#include "mmreg/raster.h"
#include "mmreg_algorithms.h"

QString ApplyTiePointsAlgorithm::shortHelpString() const {
  return QObject::tr("<p>Fits the chosen model to a tie-point layer and warps the sensed raster with it, so that tie "
                     "points can be edited by hand and applied again. The layer needs the fields <i>sensed_col</i> and "
                     "<i>sensed_row</i> (sensed pixel position); each point's geometry is its position on the reference (in a "
                     "table without geometry, such as a tie-point CSV, the fields <i>ref_x</i> and <i>ref_y</i>, in the "
                     "reference's CRS). "
                     "Points whose <i>inlier</i> field is 0 are left out; the others are fitted robustly again, with a "
                     "share held out as check points.</p>");
}

void ApplyTiePointsAlgorithm::initAlgorithm(const QVariantMap&) {
  addInputParameters();
  addParameter(new QgsProcessingParameterFeatureSource(QStringLiteral("TIE_POINTS_IN"), QObject::tr("Tie points"),
                                                       QList<int>() << QgsProcessing::TypeVectorPoint << QgsProcessing::TypeVector));
  addDeclaredParameters(mmreg::kScopeModel | mmreg::kScopeRaster | mmreg::kScopeReport);
  addParameter(new QgsProcessingParameterRasterDestination(QStringLiteral("OUTPUT"), QObject::tr("Co-registered raster")));
  addParameter(new QgsProcessingParameterFeatureSink(QStringLiteral("TIE_POINTS"), QObject::tr("Tie points with new residuals"),
                                                     QgsProcessing::TypeVectorPoint, QVariant(), true));
}

bool ApplyTiePointsAlgorithm::prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) {
  resolveInputs(parameters, context, feedback);
  std::unique_ptr<QgsProcessingFeatureSource> source(parameterAsSource(parameters, QStringLiteral("TIE_POINTS_IN"), context));
  if (!source) throw QgsProcessingException(invalidSourceError(parameters, QStringLiteral("TIE_POINTS_IN")));
  const int col = source->fields().lookupField(QStringLiteral("sensed_col"));
  const int row = source->fields().lookupField(QStringLiteral("sensed_row"));
  if (col < 0 || row < 0)
    throw QgsProcessingException(QObject::tr("The tie-point layer needs the fields sensed_col and sensed_row (as written by "
                                             "Extract tie points); add them or choose that layer."));
  const int inlier = source->fields().lookupField(QStringLiteral("inlier"));
  const int tile = source->fields().lookupField(QStringLiteral("tile"));
  const int refX = source->fields().lookupField(QStringLiteral("ref_x"));
  const int refY = source->fields().lookupField(QStringLiteral("ref_y"));
  const QgsCoordinateTransform toRef(source->sourceCrs(), referenceCrs_, context.transformContext());
  const auto ref = openRaster(referencePath_);
  const mmreg::GeoTransform inv = mmreg::invertGeoTransform(ref.geoTransform());
  points_.clear();
  QgsFeature f;
  QgsFeatureIterator it = source->getFeatures();
  // A field's number; false when it is empty or not a number (an empty field must not read as 0).
  const auto number = [&f](int field, double* value) {
    bool ok = false;
    if (field >= 0 && !f.attribute(field).isNull()) *value = f.attribute(field).toDouble(&ok);
    return ok;
  };
  while (it.nextFeature(f)) {
    if (inlier >= 0 && f.attribute(inlier).toInt() == 0) continue;
    // A point digitised by hand whose sensed position was never typed in would be read as
    // pixel (0, 0): refuse it by its feature id instead.
    double sensedCol = 0, sensedRow = 0;
    if (!number(col, &sensedCol) || !number(row, &sensedRow))
      throw QgsProcessingException(QObject::tr("Tie point %1 has no number in sensed_col or sensed_row; type in its sensed "
                                               "pixel position, or set its inlier field to 0 to leave it out.")
                                       .arg(f.id()));
    QgsPointXY p;
    if (f.hasGeometry()) {
      const QgsGeometry geometry = f.geometry();
      if (geometry.type() != QgsWkbTypes::PointGeometry)
        throw QgsProcessingException(QObject::tr("Tie point %1 is not a point; choose the tie-point layer (points, or a table "
                                                 "with ref_x and ref_y).")
                                         .arg(f.id()));
      const QgsMultiPointXY parts = geometry.isMultipart() ? geometry.asMultiPoint() : QgsMultiPointXY{geometry.asPoint()};
      if (parts.size() != 1)
        throw QgsProcessingException(QObject::tr("Tie point %1 is a multipoint of %2 points; each tie point needs one point on "
                                                 "the reference.")
                                         .arg(f.id())
                                         .arg(parts.size()));
      p = parts.front();
      // A failed transform escaped as an unhandled QgsCsException, which qgis_process answered
      // with a message box and hung (seen with a GeoJSON without "crs", read as WGS 84).
      try {
        if (toRef.isValid() && !toRef.isShortCircuited()) p = toRef.transform(p);
      } catch (const QgsCsException& e) {
        throw QgsProcessingException(QObject::tr("Tie point %1 (%2, %3) cannot be transformed from the layer's CRS %4 to the "
                                                 "reference's: %5. Check the layer's CRS (a GeoJSON without \"crs\" is read as "
                                                 "WGS 84) or set it in the layer's properties.")
                                         .arg(f.id())
                                         .arg(p.x(), 0, 'f', 3)
                                         .arg(p.y(), 0, 'f', 3)
                                         .arg(source->sourceCrs().authid(), e.what()));
      }
    } else {
      // A table without geometry (the CSV that -tiepoints t.csv writes) gives the position on
      // the reference in ref_x and ref_y, in the reference's CRS. It was skipped unread.
      double x = 0, y = 0;
      if (!number(refX, &x) || !number(refY, &y))
        throw QgsProcessingException(QObject::tr("Tie point %1 has no point and no numbers in ref_x and ref_y; place it on the "
                                                 "reference, or set its inlier field to 0 to leave it out.")
                                         .arg(f.id()));
      p = QgsPointXY(x, y);
    }
    mmreg::TiePoint t;
    t.ref = mmreg::applyGeoTransform(inv, {p.x(), p.y()});
    t.sensed = {sensedCol, sensedRow};
    t.tile = tile >= 0 && !f.attribute(tile).isNull() ? f.attribute(tile).toInt() : -1;
    t.score = 1;
    points_.push_back(t);
  }
  return true;
}

QVariantMap ApplyTiePointsAlgorithm::processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context,
                                                      QgsProcessingFeedback* feedback) {
  QVariantMap out;
  auto o = optionsFrom(parameters, context, out);
  const QString output = rasterOutput(parameters, context, o.out);
  feedback->pushInfo(QObject::tr("%1 tie points read").arg(points_.size()));
  const auto result = run(feedback, [&](const mmreg::ProgressFn& p) { return mmreg::applyTiePoints(o, points_, p); });
  logSummary(feedback, result);
  out.insert(QStringLiteral("OUTPUT"), output);
  out.insert(QStringLiteral("TIE_POINTS"), writeTiePointSink(parameters, context, result));
  addResultOutputs(out, result);
  return out;
}
