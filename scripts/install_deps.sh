#!/usr/bin/env bash
# Installs the Debian bookworm packages mmreg builds against. Idempotent: only
# packages that are missing are installed, so a second run costs a few seconds.
# Usage: scripts/install_deps.sh [--with-qgis] [--with-chromium] [--with-clang] [--with-mpi] [--with-otb]
#   --with-qgis  QGIS 3.22 (provider, plugin, qgis_process) and Xvfb for its tests
#   --with-chromium  headless Chromium, in which the tests load the HTML report
#   --with-clang     clang and its libFuzzer runtime, for scripts/run_fuzz.sh
#   --with-mpi       OpenMPI, for mmreg_batch on a cluster (and its test under mpirun)
#   --with-otb   Orfeo ToolBox, the optional peer in the benchmark (never needed to build or test)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgdal-dev gdal-bin libproj-dev
  libopencv-dev
  libeigen3-dev libtorch-dev libgtest-dev
  time
)
for arg in "$@"; do
  case "$arg" in
    --with-qgis) packages+=(libqgis-dev qgis qgis-providers python3-qgis xvfb xauth) ;;
    --with-chromium) packages+=(chromium) ;;
    --with-clang) packages+=(clang libclang-rt-14-dev) ;;
    --with-mpi) packages+=(libopenmpi-dev openmpi-bin) ;;
    --with-otb) packages+=(otb-bin) ;;
    *) echo "install_deps.sh: unknown option '$arg' (known: --with-qgis, --with-chromium, --with-clang, --with-mpi, --with-otb)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install_deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_deps.sh: done"
