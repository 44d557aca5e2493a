#!/usr/bin/env bash
# Registers the bundled SAR sample with -html and photographs the report in headless Chromium:
# docs/screenshots/html_report.jpg (the top of the page). Needs build/ (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install_deps.sh --with-chromium
work=$(mktemp -d)
./build/gdal_driver/mmreg -q -html "$work/report.html" sample_data/s1s2_075_ref.tif sample_data/s1s2_075_sensed.tif -
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" --window-size=1000,1400 \
  --screenshot="$PWD/docs/screenshots/html_report.jpg" "file://$work/report.html"
rm -rf "$work"
echo "wrote docs/screenshots/html_report.jpg"
