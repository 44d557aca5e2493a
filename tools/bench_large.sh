#!/usr/bin/env bash
# Large rasters: the bundled Sentinel-1/2 pair upsampled to N x N (band 1 of the reference; both
# with gdal_translate -r cubic -outsize N N, tiled DEFLATE GeoTIFF, BIGTIFF as needed; with and
# without overviews from gdaladdo -r average), registered with the default options and a full
# warp to GTiff and to COG. One row per case: wall time, CPU % (of one core), peak RSS, tiles
# matched, the verdict, and the floor: gdalwarp writing the same output from the fitted
# transform (mmreg's -georef_only VRT), with the ratio. With BEFORE (older mmreg binaries, as
# "label=path ..."), the 10240 GTiff case without overviews is also run with each, in the same
# session, next to this build.
# Usage: tools/bench_large.sh [build dir] [sizes] ["label=binary ..."]     (default sizes: 1024 10240 20480 40960)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sizes=${2:-"1024 10240 20480 40960"}
before=${3:-}
work=${MMREG_BENCH_WORK:-$(mktemp -d)}
trap 'rm -rf "$work"' EXIT
mmreg=$PWD/$build/gdal_driver/mmreg
co="-co TILED=YES -co COMPRESS=DEFLATE -co BIGTIFF=IF_SAFER"

timed() {  # label, command... -> "wall | cpu | rss MB"
  /usr/bin/time -f "%e %P %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; return 1; }
  awk '{printf "%.1f | %s | %.0f", $1, $2, $3 / 1024}' "$work/time.txt"
}
report() {  # report.json -> "tiles | verdict"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('%d | %s' % (r['counts']['tiles_matched'], r.get('verdict', {}).get('level', 'none (no verdict yet)')))" "$1"
}

echo "| size | overviews | output | binary | wall (s) | CPU % | peak RSS (MB) | tiles matched | verdict | gdalwarp floor (s) | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in $sizes; do
  ref=$work/ref$n.tif sen=$work/sen$n.tif
  gdal_translate -q -b 1 -r cubic -outsize "$n" "$n" $co sample_data/s1s2_075_ref.tif "$ref"
  gdal_translate -q -r cubic -outsize "$n" "$n" $co sample_data/s1s2_075_sensed.tif "$sen"
  for ov in no yes; do
    if [ "$ov" = yes ]; then
      gdaladdo -q -r average "$ref" 2 4 8 16 32 64
      gdaladdo -q -r average "$sen" 2 4 8 16 32 64
    fi
    "$mmreg" -q -overwrite -georef_only -of VRT "$ref" "$sen" "$work/fit.vrt"
    read -r x0 y0 x1 y1 <<<"$(gdalinfo -json "$ref" | python3 -c "import json,sys; c=json.load(sys.stdin)['cornerCoordinates']; print(c['upperLeft'][0], c['lowerRight'][1], c['lowerRight'][0], c['upperLeft'][1])")"
    for fmt in GTiff COG; do
      [ "$ov" = yes ] && [ "$fmt" = COG ] && continue
      runs="after=$mmreg"
      [ -n "$before" ] && [ "$n" = 10240 ] && [ "$fmt" = GTiff ] && [ "$ov" = no ] && runs="$before after=$mmreg"
      floor=$(timed gdalwarp -q -overwrite -of "$fmt" -r bilinear -wm 256 -wo NUM_THREADS=ALL_CPUS -co BIGTIFF=IF_SAFER \
        -te "$x0" "$y0" "$x1" "$y1" -ts "$n" "$n" "$work/fit.vrt" "$work/floor.tif" | cut -d"|" -f1 | tr -d " ")
      rm -f "$work/floor.tif"
      for run in $runs; do
        which=${run%%=*} bin=${run#*=}
        rm -f "$work/out.tif" "$work/r.json"
        t=$(timed "$bin" -q -of "$fmt" -report "$work/r.json" "$ref" "$sen" "$work/out.tif")
        wall=$(echo "$t" | cut -d'|' -f1)
        echo "| $n | $ov | $fmt | $which | $t | $(report "$work/r.json") | $floor | $(awk -v a="$wall" -v b="$floor" 'BEGIN{printf "%.1f", a / b}') |"
        rm -f "$work/out.tif"
      done
    done
  done
  rm -f "$ref" "$sen" "$ref.ovr" "$sen.ovr"
done
