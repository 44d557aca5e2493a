#pragma once
#include <qgsprocessingprovider.h>

// Processing provider "mmreg": co-register, extract tie points, apply tie points.
class MmregProvider : public QgsProcessingProvider {
 public:
  QString id() const override { return QStringLiteral("mmreg"); }
  QString name() const override { return QStringLiteral("mmreg"); }
  QString longName() const override;
  QIcon icon() const override;

 protected:
  void loadAlgorithms() override;
};

// Registration for hosts that cannot load C++ plugins (qgis_process 3.22 loads Python plugins
// only): a Python plugin passes QgsApplication.processingRegistry() here through ctypes.
// Idempotent; returns true when the provider is registered afterwards.
extern "C" __attribute__((visibility("default"))) bool mmreg_register_provider(void* processingRegistry);
extern "C" __attribute__((visibility("default"))) void mmreg_unregister_provider(void* processingRegistry);
