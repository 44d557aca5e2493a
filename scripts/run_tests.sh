#!/usr/bin/env bash
# One command: install the Debian packages, build, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --with-qgis --with-chromium
# Tests on explicitly: the demo may have configured build/ without them.
scripts/build.sh -DMMREG_WITH_QGIS=ON -DMMREG_WITH_TORCH=ON -DMMREG_BUILD_TESTS=ON
cd build
ctest --output-on-failure --no-tests=error -j"$(nproc)"
