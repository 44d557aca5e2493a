#pragma once
// The three Processing algorithms of the mmreg provider.
#include "mmreg_algorithm.h"

// Matches, fits and writes the co-registered raster, the tie points and a report.
class CoregisterAlgorithm : public MmregAlgorithm {
 public:
  QString name() const override { return QStringLiteral("coregister"); }
  QString displayName() const override { return QObject::tr("Co-register raster"); }
  QString shortHelpString() const override;
  CoregisterAlgorithm* createInstance() const override { return new CoregisterAlgorithm(); }
  void initAlgorithm(const QVariantMap& configuration = QVariantMap()) override;
  bool prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) override;
  QVariantMap processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) override;
};

// Matching only: the tie-point layer (and optionally a Georeferencer .points file), no warp.
class ExtractTiePointsAlgorithm : public MmregAlgorithm {
 public:
  QString name() const override { return QStringLiteral("extracttiepoints"); }
  QString displayName() const override { return QObject::tr("Extract tie points"); }
  QString shortHelpString() const override;
  ExtractTiePointsAlgorithm* createInstance() const override { return new ExtractTiePointsAlgorithm(); }
  void initAlgorithm(const QVariantMap& configuration = QVariantMap()) override;
  bool prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) override;
  QVariantMap processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) override;
};

// Fits a model to a (possibly hand-edited) tie-point layer and warps the sensed raster with it.
class ApplyTiePointsAlgorithm : public MmregAlgorithm {
 public:
  QString name() const override { return QStringLiteral("applytiepoints"); }
  QString displayName() const override { return QObject::tr("Apply tie points"); }
  QString shortHelpString() const override;
  ApplyTiePointsAlgorithm* createInstance() const override { return new ApplyTiePointsAlgorithm(); }
  void initAlgorithm(const QVariantMap& configuration = QVariantMap()) override;
  bool prepareAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) override;
  QVariantMap processAlgorithm(const QVariantMap& parameters, QgsProcessingContext& context, QgsProcessingFeedback* feedback) override;

 private:
  std::vector<mmreg::TiePoint> points_;
};
