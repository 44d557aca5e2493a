#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# in build-fuzz/, and runs each for a bounded number of inputs from a seed corpus cut from
# sample_data. Fails on any finding (crash, sanitizer report, timeout, out of memory).
# Usage: scripts/run_fuzz.sh [RUNS]     RUNS GeoTIFF inputs (default 1500, ~3 min on 2 cores); the
#                                      option parser gets 20 times as many (it is fast)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1500}"
scripts/install_deps.sh --with-clang
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
  -DMMREG_BUILD_FUZZ=ON -DMMREG_BUILD_TESTS=OFF -DMMREG_BUILD_TOOLS=OFF -DMMREG_WITH_TORCH=OFF -DMMREG_WITH_QGIS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_options fuzz_geotiff

work=build-fuzz/run
rm -rf "$work"
mkdir -p "$work/options" "$work/geotiff" "$work/findings"
# Seeds: real command lines, and small crops of a real pair (the reference stays fixed).
printf -- '-of\nGTiff\n-tile_size\n256\n-model\npoly2\nref.tif\nsen.tif\nout.tif' >"$work/options/1"
printf -- '-max_offset\n2000\n-html\nr.html\n-b\n2\n-b\n3\n-co\nCOMPRESS=DEFLATE\na\nb\n-' >"$work/options/2"
printf -- '-r\ncubic\n-norefine\n-matcher\nsift\n-threshold\n1e308\n-seed\n-1\nx\ny\nz' >"$work/options/3"
gdal_translate -q -srcwin 100 100 128 128 sample_data/landsat_red_swir1_ref.tif "$work/reference.tif"
gdal_translate -q -srcwin 100 100 128 128 sample_data/landsat_red_swir1_sensed.tif "$work/geotiff/sensed.tif"
gdal_translate -q -srcwin 90 110 96 96 -co COMPRESS=DEFLATE -co TILED=YES -co BLOCKXSIZE=32 -co BLOCKYSIZE=32 \
  sample_data/landsat_red_swir1_sensed.tif "$work/geotiff/sensed_tiled.tif"

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1  # GDAL's driver registry is alive at exit, by design
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export MMREG_FUZZ_REFERENCE="$work/reference.tif"
for target in options geotiff; do
  n=$runs
  [ "$target" = options ] && n=$((runs * 20))
  echo "run_fuzz.sh: fuzz_$target, $n inputs"
  build-fuzz/fuzz/fuzz_$target -runs="$n" -seed=1 -timeout=30 -rss_limit_mb=3072 -max_len=65536 \
    -artifact_prefix="$work/findings/$target-" -print_final_stats=1 "$work/$target" 2>&1 | tail -n 12
  if ls "$work/findings/$target-"* >/dev/null 2>&1; then
    echo "run_fuzz.sh: fuzz_$target found a problem: $(ls "$work/findings/$target-"*)" >&2
    exit 1
  fi
done
echo "run_fuzz.sh: no findings"
