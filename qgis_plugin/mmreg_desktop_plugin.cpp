// The C++ plugin QGIS desktop loads from its plugin folder: registers the provider on start and
// removes it on unload.
#include <qgisinterface.h>
#include <qgisplugin.h>
#include <qgsapplication.h>
#include <qgsprocessingregistry.h>

#include "mmreg/coregister.h"
#include "mmreg_provider.h"

namespace {

const QString kName = QStringLiteral("mmreg");
const QString kDescription = QStringLiteral("Multimodal co-registration (SAR onto optical and more) as Processing algorithms");
const QString kCategory = QStringLiteral("Raster");
const QString kVersion = QString::fromLatin1(mmreg::versionString());
const QString kIcon = QStringLiteral(":/images/themes/default/mActionAddRasterLayer.svg");

class MmregDesktopPlugin : public QgisPlugin {
 public:
  explicit MmregDesktopPlugin(QgisInterface*) : QgisPlugin(kName, kDescription, kCategory, kVersion, QgisPlugin::UI) {}
  void initGui() override { mmreg_register_provider(QgsApplication::processingRegistry()); }
  void unload() override { mmreg_unregister_provider(QgsApplication::processingRegistry()); }
};

}  // namespace

QGISEXTERN QgisPlugin* classFactory(QgisInterface* iface) { return new MmregDesktopPlugin(iface); }
QGISEXTERN const QString* name() { return &kName; }
QGISEXTERN const QString* description() { return &kDescription; }
QGISEXTERN const QString* category() { return &kCategory; }
QGISEXTERN const QString* version() { return &kVersion; }
QGISEXTERN const QString* icon() { return &kIcon; }
QGISEXTERN int type() { return QgisPlugin::UI; }
QGISEXTERN void unload(QgisPlugin* plugin) { delete plugin; }
