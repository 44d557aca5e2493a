#include "mmreg_provider.h"

#include <qgsapplication.h>
#include <qgsprocessingregistry.h>

#include "mmreg/coregister.h"
#include "mmreg/learned_models.h"
#include "mmreg_algorithms.h"

QString MmregProvider::longName() const {
  return QStringLiteral("mmreg %1 — multimodal co-registration (SAR, optical, infrared)").arg(mmreg::versionString());
}

QIcon MmregProvider::icon() const { return QgsApplication::getThemeIcon(QStringLiteral("/mActionAddRasterLayer.svg")); }

void MmregProvider::loadAlgorithms() {
  mmreg::registerLearnedModels();
  addAlgorithm(new CoregisterAlgorithm());
  addAlgorithm(new ExtractTiePointsAlgorithm());
  addAlgorithm(new ApplyTiePointsAlgorithm());
}

bool mmreg_register_provider(void* registry) {
  auto* r = static_cast<QgsProcessingRegistry*>(registry);
  if (!r) return false;
  if (r->providerById(QStringLiteral("mmreg"))) return true;
  return r->addProvider(new MmregProvider());
}

void mmreg_unregister_provider(void* registry) {
  if (auto* r = static_cast<QgsProcessingRegistry*>(registry)) r->removeProvider(QStringLiteral("mmreg"));
}
