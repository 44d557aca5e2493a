#!/usr/bin/env bash
# Usage: scripts/qgis_desktop_profile.sh HOME_DIR PLUGIN_DIR
# Writes a fresh QGIS desktop profile under HOME_DIR that searches PLUGIN_DIR for C++ plugins
# and has the mmreg C++ plugin (libmmregplugin.so) enabled, as ticking it in the Plugin
# Manager would.
set -euo pipefail
ini="$1/.local/share/QGIS/QGIS3/profiles/default/QGIS/QGIS3.ini"
mkdir -p "$(dirname "$ini")"
printf '[Plugins]\nlibmmregplugin=true\n\n[plugins]\nsearchPathsForPlugins=%s\n' "$2" > "$ini"
