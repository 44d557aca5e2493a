#!/usr/bin/env bash
# Scaling benchmark: the bundled SAR/optical pair at 1x, 4x and 8x its size (upsampled VRTs, so
# the ground resolution is finer and the misregistration in pixels grows with it), registered
# with the default settings (tile cap 36). Prints one table: pixels, wall time, peak RSS, the
# check-point RMSE in metres. Usage: tools/bench_scaling.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| scale | reference size | wall time (s) | peak RSS (MB) | tiles matched | check RMSE (m) |"
echo "|---|---|---|---|---|---|"
for f in 1 4 8; do
  ref=sample_data/s1s2_075_ref.tif sen=sample_data/s1s2_075_sensed.tif
  if [ "$f" -gt 1 ]; then
    gdal_translate -q -of VRT -r bilinear -outsize $((f * 100))% $((f * 100))% "$ref" "$work/ref$f.vrt"
    gdal_translate -q -of VRT -r bilinear -outsize $((f * 100))% $((f * 100))% "$sen" "$work/sen$f.vrt"
    ref=$work/ref$f.vrt sen=$work/sen$f.vrt
  fi
  /usr/bin/time -f "%e %M" -o "$work/time" "$build/gdal_driver/mmreg" -q -georef_only -of VRT -margin $((64 * f)) \
    -report "$work/r$f.json" "$ref" "$sen" "$work/out$f.vrt"
  read -r secs kb < "$work/time"
  size=$(gdalinfo "$ref" | sed -n 's/^Size is \(.*\), \(.*\)/\1 x \2/p')
  tiles=$(grep -o '"tiles_matched":[0-9]*' "$work/r$f.json" | cut -d: -f2)
  rmse=$(grep -o '"rmse_check_m":[0-9.]*' "$work/r$f.json" | cut -d: -f2)
  printf '| %dx | %s | %s | %d | %s | %.1f |\n' "$f" "$size" "$secs" $((kb / 1024)) "$tiles" "$rmse"
done
