#include "mmreg_algorithm.h"

#include <qgsfeature.h>
#include <qgsfeaturesink.h>
#include <qgsfields.h>
#include <qgsgeometry.h>
#include <qgspoint.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingparameters.h>
#include <qgsrasterfilewriter.h>
#include <qgsrasterlayer.h>

#include <QFileInfo>

#include <cmath>

#include "declared_parameters.h"
#include "layer_crs.h"
#include "mmreg/error.h"
#include "mmreg/outputs.h"
#include "mmreg/raster.h"

namespace {

QString gdalPath(QgsRasterLayer* layer, const QString& what) {
  if (!layer) throw QgsProcessingException(QObject::tr("The %1 raster layer is missing or invalid; choose a raster layer.").arg(what));
  if (layer->providerType() != QLatin1String("gdal"))
    throw QgsProcessingException(QObject::tr("The %1 layer '%2' is not a GDAL raster (provider %3); save it as a GeoTIFF first.")
                                     .arg(what, layer->name(), layer->providerType()));
  return layer->source();
}

}  // namespace

void MmregAlgorithm::addInputParameters() {
  addParameter(new QgsProcessingParameterRasterLayer(QStringLiteral("REFERENCE"), QObject::tr("Reference raster (georeferenced, e.g. optical)")));
  addParameter(new QgsProcessingParameterRasterLayer(QStringLiteral("SENSED"), QObject::tr("Sensed raster (e.g. SAR) to align")));
}

void MmregAlgorithm::addDeclaredParameters(unsigned scope) {
  scope_ = scope;
  for (QgsProcessingParameterDefinition* d : declaredParameters(scope)) addParameter(d);
  addOutput(new QgsProcessingOutputString(QStringLiteral("VERDICT"), QObject::tr("Verdict")));
  addOutput(new QgsProcessingOutputNumber(QStringLiteral("RMSE_CHECK_PX"), QObject::tr("Check-point RMSE (reference pixels)")));
}

void MmregAlgorithm::resolveInputs(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) {
  QgsRasterLayer* ref = parameterAsRasterLayer(parameters, QStringLiteral("REFERENCE"), context);
  const QString referenceFile = gdalPath(ref, QObject::tr("reference"));  // refuses a missing layer before it is used
  referencePath_ = referenceInLayerCrs(referenceFile, *ref, feedback);
  referenceCrs_ = ref->crs();
  QgsRasterLayer* sen = parameterAsRasterLayer(parameters, QStringLiteral("SENSED"), context);
  sensedPath_ = gdalPath(sen, QObject::tr("sensed"));
  sensedLayerCrs_ = sensedLayerCrs(sensedPath_, *sen, feedback);
}

mmreg::CoregisterOptions MmregAlgorithm::optionsFrom(const QVariantMap& p, QgsProcessingContext& context,
                                                     QVariantMap& destinations) const {
  mmreg::CoregisterOptions o;
  o.reference = referencePath_.toStdString();
  o.sensed = sensedPath_.toStdString();
  o.out.overwrite = true;  // Processing destinations are chosen (and confirmed) by the user or are temporary
  destinations = applyDeclaredParameters(*this, scope_, p, context, o);
  if (o.match.sensedSrs.empty()) o.match.sensedSrs = sensedLayerCrs_.toStdString();  // SENSED_CRS, when given, decides
  return o;
}

QString MmregAlgorithm::rasterOutput(const QVariantMap& p, QgsProcessingContext& context, mmreg::OutputOptions& out) const {
  const QString output = parameterAsOutputLayer(p, QStringLiteral("OUTPUT"), context);
  const QString format = QgsRasterFileWriter::driverForExtension(QFileInfo(output).suffix());
  out.output = output.toStdString();
  out.format = format.isEmpty() ? "GTiff" : format.toStdString();
  return output;
}

mmreg::CoregisterResult MmregAlgorithm::run(QgsProcessingFeedback* feedback,
                                            const std::function<mmreg::CoregisterResult(const mmreg::ProgressFn&)>& job) const {
  const mmreg::ProgressFn progress = [feedback](double f, const char* msg) {
    if (!feedback) return true;
    if (msg && *msg) feedback->setProgressText(QString::fromUtf8(msg));
    feedback->setProgress(100.0 * f);
    return !feedback->isCanceled();
  };
  try {
    return job(progress);
  } catch (const mmreg::Cancelled&) {
    throw QgsProcessingException(QObject::tr("Canceled; no output was written."));
  } catch (const mmreg::Error& e) {
    throw QgsProcessingException(QString::fromUtf8(e.what()));
  } catch (const std::exception& e) {
    throw QgsProcessingException(QObject::tr("Unexpected failure: %1. Please report it with the parameters used.").arg(e.what()));
  }
}

QString MmregAlgorithm::writeTiePointSink(const QVariantMap& parameters, QgsProcessingContext& context,
                                          const mmreg::CoregisterResult& r) const {
  QgsFields fields;
  for (const auto& f : mmreg::tiePointFields())
    fields.append(QgsField(QString::fromLatin1(f.name), f.integer ? QVariant::Int : QVariant::Double));
  QString id;
  std::unique_ptr<QgsFeatureSink> sink(
      parameterAsSink(parameters, QStringLiteral("TIE_POINTS"), context, id, fields, QgsWkbTypes::Point, referenceCrs_));
  if (!sink) return QString();
  const auto ref = openRaster(referencePath_);
  for (size_t i = 0; i < r.match.tiePoints.size(); ++i) {
    const auto v = mmreg::tiePointValues(ref, r.referencePixelMetres, r.match.tiePoints[i], r.fit, i);
    QgsFeature f(fields);
    QgsAttributes attrs;
    for (size_t k = 0; k < v.size(); ++k)
      attrs << (mmreg::tiePointFields()[k].integer ? QVariant(static_cast<int>(v[k]))
                : std::isfinite(v[k])                 ? QVariant(v[k])
                                                      : QVariant(QVariant::Double));  // null: residual_m without a CRS
    f.setAttributes(attrs);
    f.setGeometry(QgsGeometry(new QgsPoint(v[1], v[2])));
    if (!sink->addFeature(f, QgsFeatureSink::FastInsert))
      throw QgsProcessingException(QObject::tr("Cannot write a tie point to the output layer: %1").arg(sink->lastError()));
  }
  return id;
}

mmreg::GeoRaster MmregAlgorithm::openRaster(const QString& path) {
  try {
    return mmreg::GeoRaster::open(path.toStdString());
  } catch (const mmreg::Error& e) {
    throw QgsProcessingException(QString::fromUtf8(e.what()));
  }
}

void MmregAlgorithm::logSummary(QgsProcessingFeedback* feedback, const mmreg::CoregisterResult& r) {
  if (!feedback) return;
  for (const auto& w : r.warnings) feedback->pushWarning(QString::fromStdString(w));
  feedback->pushInfo(QObject::tr("Verdict: %1 (search start: %2)")
                         .arg(QString::fromStdString(r.verdict.summary()), QString::fromStdString(r.verdict.hypothesis)));
  feedback->pushInfo(QObject::tr("Model: %1; %2 tie points, %3 inliers, %4 check points")
                         .arg(mmreg::modelName(r.fit.forward->type()))
                         .arg(r.match.tiePoints.size())
                         .arg(r.fit.inlierCount)
                         .arg(r.fit.checkCount));
  feedback->pushInfo(QObject::tr("RMSE on fitted inliers: %1; on check points: %2")
                         .arg(QString::fromStdString(mmreg::pixelsAndMetres(r.fit.rmseFit, r.referencePixelMetres)),
                              QString::fromStdString(mmreg::pixelsAndMetres(r.fit.rmseCheck, r.referencePixelMetres))));
}

void MmregAlgorithm::addResultOutputs(QVariantMap& out, const mmreg::CoregisterResult& r) {
  out.insert(QStringLiteral("VERDICT"), QString::fromLatin1(mmreg::verdictName(r.verdict.level)));
  out.insert(QStringLiteral("RMSE_CHECK_PX"), r.fit.rmseCheck);
}

QString MmregAlgorithm::methodHelp() {
  return QObject::tr(
      "<p>mmreg matches the sensed raster to the reference tile by tile, in the reference grid at the coarser "
      "of the two ground resolutions, and fits one global model with MAGSAC++ and least squares. A share of "
      "the inliers is held out as check points and never fitted; their RMSE is the honest accuracy.</p>"
      "<p><b>Matcher</b>: <i>area</i> correlates dense oriented-gradient structure by FFT and works on SAR; "
      "<i>sift</i>, <i>orb</i>, <i>akaze</i> are OpenCV's keypoint baselines (optical-optical only); "
      "<i>learned</i> matches keypoints (the <b>Template placement or keypoints</b> parameter; corners by default) with the cross-fusion head of Li, Han &amp; Ye 2022 "
      "on the learned feature backbone; it is not the default (see the project's docs/benchmarks/CROSS_FUSION.md). Keypoint matches are "
      "refined by area correlation unless <b>Refine</b> is off.</p>"
      "<p><b>Bands</b>: empty uses the luminance of an RGB raster, else band 1. All bands are written.</p>"
      "<p><b>Search margin</b>: the first pass's margin, in its processing pixels. <b>Largest georeferencing offset</b>: "
      "how far off the georeferencing may be (default 256 reference pixels); the first pass runs on a coarser level when "
      "its margin needs it, so the cost stays bounded. Oversampled imagery is matched at the scale of its structure. "
      "<b>Coarse global pass</b>: for a sensed raster with no georeferencing (any rotation, scale within 2x): a "
      "correlation search over rotation and scale, then, if none of its hypotheses is verified, hypotheses from "
      "rotation- and scale-invariant keypoints.</p>"
      "<p><b>Model</b>: <i>auto</i> picks the simplest of translation, similarity, affine, projective, poly2, "
      "poly3 whose cross-validated error is within 5% of the best.</p>"
      "<p><b>Verdict</b>: before anything is written, the model must have enough inliers spread over the overlap, a "
      "plausible geometry (scale, rotation, anisotropy) against the georeferencing or the coarse estimate, and "
      "independent confirmation: windows on a fresh grid, correlated under the model, must peak at it far more often "
      "than chance. A result that is not <i>verified</i> is refused with the reason and what to try; "
      "<b>Write a result whose verdict is doubtful</b> keeps a doubtful one. A failed one is never written.</p>");
}
