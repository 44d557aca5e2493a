#!/usr/bin/env bash
# Starts QGIS desktop (Debian's qgis) under Xvfb with the mmreg plugin from the build tree and
# writes docs/screenshots/qgis_toolbox_mmreg.png. Needs a build with -DMMREG_WITH_QGIS=ON.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install_deps.sh --with-qgis
profile=$(mktemp -d)
export HOME=$profile QGIS_PLUGINPATH=$PWD/build/qgis_python MMREG_SCREENSHOT=$PWD/docs/screenshots/qgis_toolbox_mmreg.png
# Enable the plugin in the (fresh) default profile; desktop QGIS reads the same setting.
QT_QPA_PLATFORM=offscreen qgis_process.bin plugins enable mmreg_processing >/dev/null
xvfb-run -a -s "-screen 0 1440x900x24" timeout 120 qgis --nologo --noversioncheck --code docs/screenshots/toolbox_screenshot.py
rm -rf "$profile"
echo "wrote $MMREG_SCREENSHOT"
