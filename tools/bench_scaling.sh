#!/usr/bin/env bash
# Scaling benchmark: the bundled Sentinel-1/2 pair at 1x, 4x and 10x its size (gdal_translate
# -r cubic -outsize, tiled DEFLATE GeoTIFFs, so the pixels are finer and the structure is 4 and
# 10 pixels wide), the sensed georeferencing set to the reference's moved by the same (35, -25)
# pixels at every scale, registered with the default options. One table: wall time, peak RSS,
# tiles matched, the processing scale mmreg chose, its verdict, and the fitted model against the
# 1x answer (scaled) and against the pair's truth (sensed pixel (c, r) lies at reference
# pixel (c, r)), both in pixels of the 1x grid. Usage: tools/bench_scaling.sh [build dir] [scales]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scales=${2:-"1 4 10"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Sensed pixels (x1 grid) where the models are compared.
points="50 50
512 50
974 50
50 512
512 512
974 512
50 974
512 974
974 974"

# Reference pixels, in the x1 grid, that the georef-only output at scale $1 maps the points to.
mapped() {
  local f=$1
  echo "$points" | awk -v f="$f" '{print $1 * f, $2 * f}' | gdaltransform "$work/g$f.vrt" "$work/ref$f.tif" |
    awk -v f="$f" '{print $1 / f, $2 / f}'
}

echo "| scale | reference size | wall time (s) | peak RSS (MB) | tiles matched | processing scale | verdict | vs the 1x answer (1x px, worst) | vs the truth (1x px, worst) |"
echo "|---|---|---|---|---|---|---|---|---|"
for f in $scales; do
  for side in ref sensed; do
    gdal_translate -q -r cubic -outsize $((f * 100))% $((f * 100))% -co TILED=YES -co COMPRESS=DEFLATE \
      "sample_data/s1s2_075_$side.tif" "$work/$side$f.tif"
  done
  # The sensed raster claims the reference's grid, moved by (35, -25) of its pixels.
  read -r x0 px y0 py < <(gdalinfo "$work/ref$f.tif" |
    awk '/^Origin/{gsub(/[(),]/, " "); x = $3; y = $4} /^Pixel Size/{gsub(/[(),]/, " "); a = $4; b = $5} END{print x, a, y, b}')
  gdal_edit.py -a_ullr "$(echo "$x0 + 35 * $px" | bc -l)" "$(echo "$y0 - 25 * $py" | bc -l)" \
    "$(echo "$x0 + (35 + 1024 * $f) * $px" | bc -l)" "$(echo "$y0 + (-25 + 1024 * $f) * $py" | bc -l)" "$work/sensed$f.tif"
  status=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$build/gdal_driver/mmreg" -q -keep_doubtful -georef_only -of VRT \
    -report "$work/r$f.json" "$work/ref$f.tif" "$work/sensed$f.tif" "$work/g$f.vrt" 2> "$work/err$f" || status=$?
  read -r secs kb < <(tail -n 1 "$work/time")
  size="$((1024 * f)) x $((1024 * f))"
  if [ "$status" -ne 0 ]; then
    printf '| %dx | %s | %s | %d | – | – | refused: %s | – | – |\n' "$f" "$size" "$secs" $((kb / 1024)) "$(head -c 160 "$work/err$f")"
    continue
  fi
  tiles=$(grep -o '"tiles_matched":[0-9]*' "$work/r$f.json" | cut -d: -f2)
  pscale=$(grep -o '"processing_scale":[0-9.]*' "$work/r$f.json" | cut -d: -f2)
  verdict=$(grep -o '"level":"[a-z]*"' "$work/r$f.json" | head -n 1 | cut -d'"' -f4)
  mapped "$f" > "$work/m$f"
  [ -f "$work/m1" ] || cp "$work/m$f" "$work/m1"
  vs1=$(paste "$work/m$f" "$work/m1" | awk '{d = sqrt(($1 - $3)^2 + ($2 - $4)^2); if (d > m) m = d} END{printf "%.2f", m}')
  vsTruth=$(paste "$work/m$f" <(echo "$points") | awk '{d = sqrt(($1 - $3)^2 + ($2 - $4)^2); if (d > m) m = d} END{printf "%.2f", m}')
  printf '| %dx | %s | %s | %d | %s | %s | %s | %s | %s |\n' "$f" "$size" "$secs" $((kb / 1024)) "$tiles" "$pscale" "$verdict" "$vs1" "$vsTruth"
done
