#!/usr/bin/env bash
# One command: install the Debian packages, build, run the whole test suite, then the fuzz
# targets for a bounded number of inputs (scripts/run_fuzz.sh; MMREG_FUZZ_RUNS=0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --with-qgis --with-chromium --with-mpi
# Tests on explicitly: the demo may have configured build/ without them.
scripts/build.sh -DMMREG_WITH_QGIS=ON -DMMREG_WITH_TORCH=ON -DMMREG_WITH_MPI=ON -DMMREG_BUILD_TESTS=ON
(cd build && ctest --output-on-failure --no-tests=error -j"$(nproc)")
if [ "${MMREG_FUZZ_RUNS:-1500}" != 0 ]; then
  scripts/run_fuzz.sh "${MMREG_FUZZ_RUNS:-1500}"
fi
