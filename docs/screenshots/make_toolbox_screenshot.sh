#!/usr/bin/env bash
# Starts QGIS desktop (Debian's qgis) under Xvfb with the mmreg C++ plugin from the build tree
# enabled, and writes docs/screenshots/qgis_toolbox_mmreg.png. Needs -DMMREG_WITH_QGIS=ON.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install_deps.sh --with-qgis
profile=$(mktemp -d)
scripts/qgis_desktop_profile.sh "$profile" "$PWD/build/qgis_plugin"
export HOME=$profile MMREG_SCREENSHOT=$PWD/docs/screenshots/qgis_toolbox_mmreg.png
xvfb-run -a -s "-screen 0 1440x900x24" timeout 120 qgis --nologo --noversioncheck --code docs/screenshots/toolbox_screenshot.py
rm -rf "$profile"
echo "wrote $MMREG_SCREENSHOT"
