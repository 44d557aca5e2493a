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

#include "mmreg/error.h"
#include "mmreg/outputs.h"
#include "mmreg/raster.h"

namespace {

const QStringList kMatchers{"area", "sift", "orb", "akaze", "learned"};  // appended: saved models keep their indices
const QStringList kDetectors{"corner", "learned"};
const QStringList kModels{"auto", "translation", "similarity", "affine", "projective", "poly2", "poly3", "tps"};

QString gdalPath(QgsRasterLayer* layer, const QString& what) {
  if (!layer) throw QgsProcessingException(QObject::tr("The %1 raster layer is missing or invalid; choose a raster layer.").arg(what));
  if (layer->providerType() != QLatin1String("gdal"))
    throw QgsProcessingException(QObject::tr("The %1 layer '%2' is not a GDAL raster (provider %3); save it as a GeoTIFF first.")
                                     .arg(what, layer->name(), layer->providerType()));
  return layer->source();
}

std::vector<int> bands(const QList<int>& list) { return std::vector<int>(list.begin(), list.end()); }

}  // namespace

void MmregAlgorithm::addInputParameters(bool matching) {
  addParameter(new QgsProcessingParameterRasterLayer(QStringLiteral("REFERENCE"), QObject::tr("Reference raster (georeferenced, e.g. optical)")));
  addParameter(new QgsProcessingParameterRasterLayer(QStringLiteral("SENSED"), QObject::tr("Sensed raster (e.g. SAR) to align")));
  if (!matching) return;
  addParameter(new QgsProcessingParameterBand(QStringLiteral("REFERENCE_BANDS"), QObject::tr("Reference band(s) used for matching"),
                                              QVariant(), QStringLiteral("REFERENCE"), true, true));
  addParameter(new QgsProcessingParameterBand(QStringLiteral("SENSED_BANDS"), QObject::tr("Sensed band(s) used for matching"),
                                              QVariant(), QStringLiteral("SENSED"), true, true));
  addParameter(new QgsProcessingParameterEnum(QStringLiteral("MATCHER"), QObject::tr("Matcher"), kMatchers, false, 0));
  auto* detector = new QgsProcessingParameterEnum(QStringLiteral("DETECTOR"), QObject::tr("Template placement (area matcher)"),
                                                  kDetectors, false, 0);
  detector->setFlags(detector->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(detector);
  auto* refine = new QgsProcessingParameterBoolean(QStringLiteral("REFINE"),
                                                   QObject::tr("Refine keypoint matches by area correlation (sub-pixel)"), true);
  refine->setFlags(refine->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(refine);
  auto* tile = new QgsProcessingParameterNumber(QStringLiteral("TILE_SIZE"), QObject::tr("Tile size (processing pixels)"),
                                                QgsProcessingParameterNumber::Integer, 512, false, 64, 8192);
  tile->setFlags(tile->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(tile);
  addParameter(new QgsProcessingParameterNumber(QStringLiteral("MARGIN"), QObject::tr("Search margin (processing pixels)"),
                                                QgsProcessingParameterNumber::Integer, 64, false, 4, 8192));
  auto* offset = new QgsProcessingParameterNumber(QStringLiteral("MAX_OFFSET"),
                                                  QObject::tr("Largest georeferencing offset to search (reference CRS units; 0: 256 pixels)"),
                                                  QgsProcessingParameterNumber::Double, 0.0, false, 0.0);
  offset->setFlags(offset->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(offset);
  auto* maxTiles = new QgsProcessingParameterNumber(QStringLiteral("MAX_TILES"), QObject::tr("Most tiles matched"),
                                                    QgsProcessingParameterNumber::Integer, 36, false, 1, 10000);
  maxTiles->setFlags(maxTiles->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(maxTiles);
  auto* type = new QgsProcessingParameterEnum(QStringLiteral("SENSED_TYPE"), QObject::tr("Sensed modality"),
                                              QStringList{"auto", "optical", "sar"}, false, 0);
  type->setFlags(type->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(type);
  auto* coarse = new QgsProcessingParameterEnum(QStringLiteral("COARSE"), QObject::tr("Coarse global pass"),
                                                QStringList{"auto", "always", "never"}, false, 0);
  coarse->setFlags(coarse->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(coarse);
}

void MmregAlgorithm::addModelParameter() {
  addParameter(new QgsProcessingParameterEnum(QStringLiteral("MODEL"), QObject::tr("Geometric model"), kModels, false, 0));
  auto* thr = new QgsProcessingParameterNumber(QStringLiteral("THRESHOLD"), QObject::tr("Inlier threshold (reference pixels)"),
                                               QgsProcessingParameterNumber::Double, 3.0, false, 0.1, 1000);
  thr->setFlags(thr->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(thr);
  auto* share = new QgsProcessingParameterNumber(QStringLiteral("CHECK_SHARE"), QObject::tr("Share of inliers held out as check points"),
                                                 QgsProcessingParameterNumber::Double, 0.2, false, 0.0, 0.89);
  share->setFlags(share->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
  addParameter(share);
  const mmreg::VerifyOptions defaults;
  auto advanced = [this](QgsProcessingParameterDefinition* d) {
    d->setFlags(d->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
    addParameter(d);
  };
  advanced(new QgsProcessingParameterNumber(QStringLiteral("MAX_SCALE_CHANGE"), QObject::tr("Verdict: largest scale change (fraction)"),
                                            QgsProcessingParameterNumber::Double, defaults.maxScaleChange, false, 0.001, 10));
  advanced(new QgsProcessingParameterNumber(QStringLiteral("MAX_ROTATION"), QObject::tr("Verdict: largest rotation (degrees)"),
                                            QgsProcessingParameterNumber::Double, defaults.maxRotationDeg, false, 0.001, 180));
  advanced(new QgsProcessingParameterNumber(QStringLiteral("MAX_ANISOTROPY"), QObject::tr("Verdict: largest anisotropy (axis scale ratio)"),
                                            QgsProcessingParameterNumber::Double, defaults.maxAnisotropy, false, 1, 100));
  advanced(new QgsProcessingParameterBoolean(QStringLiteral("KEEP_DOUBTFUL"), QObject::tr("Write a result whose verdict is doubtful"),
                                             defaults.keepDoubtful));
  addOutput(new QgsProcessingOutputString(QStringLiteral("VERDICT"), QObject::tr("Verdict")));
  addOutput(new QgsProcessingOutputNumber(QStringLiteral("RMSE_CHECK_PX"), QObject::tr("Check-point RMSE (reference pixels)")));
}

void MmregAlgorithm::resolveInputs(const QVariantMap& parameters, QgsProcessingContext& context) {
  QgsRasterLayer* ref = parameterAsRasterLayer(parameters, QStringLiteral("REFERENCE"), context);
  referencePath_ = gdalPath(ref, QObject::tr("reference"));
  referenceCrs_ = ref->crs();
  sensedPath_ = gdalPath(parameterAsRasterLayer(parameters, QStringLiteral("SENSED"), context), QObject::tr("sensed"));
}

mmreg::CoregisterOptions MmregAlgorithm::optionsFrom(const QVariantMap& p, QgsProcessingContext& context, bool matching) const {
  mmreg::CoregisterOptions o;
  o.reference = referencePath_.toStdString();
  o.sensed = sensedPath_.toStdString();
  o.out.overwrite = true;  // Processing destinations are chosen (and confirmed) by the user or are temporary
  if (parameterDefinition(QStringLiteral("MODEL"))) {
    mmreg::parseModelType(kModels.value(parameterAsEnum(p, QStringLiteral("MODEL"), context)).toStdString(), &o.fit.model);
    o.fit.inlierThreshold = parameterAsDouble(p, QStringLiteral("THRESHOLD"), context);
    o.fit.checkShare = parameterAsDouble(p, QStringLiteral("CHECK_SHARE"), context);
    o.verify.maxScaleChange = parameterAsDouble(p, QStringLiteral("MAX_SCALE_CHANGE"), context);
    o.verify.maxRotationDeg = parameterAsDouble(p, QStringLiteral("MAX_ROTATION"), context);
    o.verify.maxAnisotropy = parameterAsDouble(p, QStringLiteral("MAX_ANISOTROPY"), context);
    o.verify.keepDoubtful = parameterAsBoolean(p, QStringLiteral("KEEP_DOUBTFUL"), context);
  }
  if (!matching) return o;
  o.match.referenceBands = bands(parameterAsInts(p, QStringLiteral("REFERENCE_BANDS"), context));
  o.match.sensedBands = bands(parameterAsInts(p, QStringLiteral("SENSED_BANDS"), context));
  o.match.matcher = kMatchers.value(parameterAsEnum(p, QStringLiteral("MATCHER"), context)).toStdString();
  o.match.refine = parameterAsBoolean(p, QStringLiteral("REFINE"), context);
  if (o.match.matcher == "area") o.match.detector = kDetectors.value(parameterAsEnum(p, QStringLiteral("DETECTOR"), context)).toStdString();
  o.match.tileSize = parameterAsInt(p, QStringLiteral("TILE_SIZE"), context);
  o.match.searchMargin = parameterAsInt(p, QStringLiteral("MARGIN"), context);
  o.match.maxOffset = parameterAsDouble(p, QStringLiteral("MAX_OFFSET"), context);
  o.match.maxTiles = parameterAsInt(p, QStringLiteral("MAX_TILES"), context);
  o.match.sensedModality = std::array{mmreg::Modality::Auto, mmreg::Modality::Optical,
                                      mmreg::Modality::Sar}[parameterAsEnum(p, QStringLiteral("SENSED_TYPE"), context)];
  o.match.coarse = std::array{mmreg::CoarseMode::Auto, mmreg::CoarseMode::Always,
                              mmreg::CoarseMode::Never}[parameterAsEnum(p, QStringLiteral("COARSE"), context)];
  return o;
}

QString MmregAlgorithm::rasterOutput(const QVariantMap& p, QgsProcessingContext& context, mmreg::OutputOptions& out) const {
  const QString output = parameterAsOutputLayer(p, QStringLiteral("OUTPUT"), context);
  const QString format = QgsRasterFileWriter::driverForExtension(QFileInfo(output).suffix());
  out.output = output.toStdString();
  out.format = format.isEmpty() ? "GTiff" : format.toStdString();
  out.georefOnly = parameterAsBool(p, QStringLiteral("GEOREF_ONLY"), context);
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
  const auto ref = mmreg::GeoRaster::open(referencePath_.toStdString());
  for (size_t i = 0; i < r.match.tiePoints.size(); ++i) {
    const auto v = mmreg::tiePointValues(ref, r.match.tiePoints[i], r.fit, i);
    QgsFeature f(fields);
    QgsAttributes attrs;
    for (size_t k = 0; k < v.size(); ++k)
      attrs << (mmreg::tiePointFields()[k].integer ? QVariant(static_cast<int>(v[k])) : QVariant(v[k]));
    f.setAttributes(attrs);
    f.setGeometry(QgsGeometry(new QgsPoint(v[1], v[2])));
    if (!sink->addFeature(f, QgsFeatureSink::FastInsert))
      throw QgsProcessingException(QObject::tr("Cannot write a tie point to the output layer: %1").arg(sink->lastError()));
  }
  return id;
}

void MmregAlgorithm::logSummary(QgsProcessingFeedback* feedback, const mmreg::CoregisterResult& r) {
  if (!feedback) return;
  feedback->pushInfo(QObject::tr("Verdict: %1 (search start: %2)")
                         .arg(QString::fromStdString(r.verdict.summary()), QString::fromStdString(r.verdict.hypothesis)));
  feedback->pushInfo(QObject::tr("Model: %1; %2 tie points, %3 inliers, %4 check points")
                         .arg(mmreg::modelName(r.fit.forward->type()))
                         .arg(r.match.tiePoints.size())
                         .arg(r.fit.inlierCount)
                         .arg(r.fit.checkCount));
  feedback->pushInfo(QObject::tr("RMSE on fitted inliers: %1 px (%2 m); on check points: %3 px (%4 m)")
                         .arg(r.fit.rmseFit, 0, 'f', 3)
                         .arg(r.fit.rmseFit * r.referencePixelSize, 0, 'f', 2)
                         .arg(r.fit.rmseCheck, 0, 'f', 3)
                         .arg(r.fit.rmseCheck * r.referencePixelSize, 0, 'f', 2));
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
      "<i>learned</i> is the learned detector with the cross-fusion matching network (Li, Han &amp; Ye 2022), "
      "experimental: it does not yet register SAR (see the project's models/README.md). Keypoint matches are "
      "refined by area correlation unless <b>Refine</b> is off.</p>"
      "<p><b>Bands</b>: empty uses the luminance of an RGB raster, else band 1. All bands are written.</p>"
      "<p><b>Search margin</b>: the first pass's margin, in its processing pixels. <b>Largest georeferencing offset</b>: "
      "how far off the georeferencing may be (default 256 reference pixels); the first pass runs on a coarser level when "
      "its margin needs it, so the cost stays bounded. Oversampled imagery is matched at the scale of its structure. "
      "<b>Coarse global pass</b>: for a sensed raster with no georeferencing (any rotation, scale within 2x).</p>"
      "<p><b>Model</b>: <i>auto</i> picks the simplest of translation, similarity, affine, projective, poly2, "
      "poly3 whose cross-validated error is within 5% of the best.</p>"
      "<p><b>Verdict</b>: before anything is written, the model must have enough inliers spread over the overlap, a "
      "plausible geometry (scale, rotation, anisotropy) against the georeferencing or the coarse estimate, and "
      "independent confirmation: windows on a fresh grid, correlated under the model, must peak at it far more often "
      "than chance. A result that is not <i>verified</i> is refused with the reason and what to try; "
      "<b>Write a result whose verdict is doubtful</b> keeps a doubtful one. A failed one is never written.</p>");
}
