#!/usr/bin/env bash
# Nodata in the reference: the bundled Sentinel-1/2 pair, its optical reference given nodata
# (value 0) over part of the scene, as a scene edge or a cloud mask leaves it: its lower rows,
# the corner beyond a diagonal edge, and scattered discs ("clouds", a fixed draw). For each
# variant, one row: the share of valid pixels, the verdict, the check-point RMSE, and the error
# of the fitted model against the sample's documented alignment (sensed pixel (c, r) is
# reference pixel (c, r); the s1s2 dataset's own SAR/optical offset of 2-3 px included, as the
# whole reference's row shows), mean and worst over a 5 x 5 grid of sensed pixels. Default
# options. Usage:
#   tools/bench_nodata.sh [build dir] [s1s2 folder]
# A second table: fill that the files do not declare (corner collars), with and without
# -refnodata / -srcnodata.
# With the s1s2 folder of ../shared/data (default ../shared/data/s1s2), a third table: each
# nodata reference against five other Sentinel-1 fragments given the sample's georeferencing
# (wrong content): how many results are accepted (exit 0), which must be none.
set -euo pipefail
cd "$(dirname "$0")/.."
mmreg=${1:-build}/gdal_driver/mmreg
s1s2=${2:-../shared/data/s1s2}
ref=sample_data/s1s2_075_ref.tif
sen=sample_data/s1s2_075_sensed.tif
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
read -r xmin ymin xmax ymax < <(gdalinfo -json "$ref" | python3 -c "
import json, sys
c = json.load(sys.stdin)['cornerCoordinates']
print(c['upperLeft'][0], c['lowerRight'][1], c['lowerRight'][0], c['upperLeft'][1])")
for j in 0 1 2 3 4; do for i in 0 1 2 3 4; do echo "$((100 + i * 200)) $((100 + j * 200))"; done; done >"$work/grid.txt"

# A GeoJSON polygon layer in the reference's CRS (EPSG:3395) from "x y" rings, one per line.
polygons() {
  awk 'BEGIN {printf "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"EPSG:3395\"}},\"features\":["}
       {printf "%s{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", (NR > 1 ? "," : "");
        for (k = 1; k < NF; k += 2) printf "%s[%s,%s]", (k > 1 ? "," : ""), $k, $(k + 1); printf "]]}}"}
       END {print "]}"}'
}
# Nodata over: the lower share f of the rows; the part left of the line from (f, top) to the
# lower right corner; n discs (centres from a Park-Miller generator, the same under any awk)
# whose radius covers about a share s of the extent, overlaps aside.
box="-v xmin=$xmin -v ymin=$ymin -v xmax=$xmax -v ymax=$ymax"
rows_ring() { awk -v f="$1" $box 'BEGIN {y = ymin + f * (ymax - ymin); print xmin, y, xmax, y, xmax, ymin, xmin, ymin, xmin, y}'; }
edge_ring() { awk -v f="$1" $box 'BEGIN {x = xmin + f * (xmax - xmin); print xmin, ymax, x, ymax, xmax, ymin, xmin, ymin, xmin, ymax}'; }
disc_rings() {
  awk -v n="$1" -v s="$2" $box 'function u() {seed = (seed * 16807) % 2147483647; return seed / 2147483647}
    BEGIN {seed = 5; w = xmax - xmin; h = ymax - ymin; r = sqrt(s * w * h / n / 3.14159265) * 1.25
      for (i = 0; i < n; i++) {cx = xmin + u() * w; cy = ymin + u() * h; line = ""
        for (t = 0; t <= 16; t++) line = line sprintf("%s%.3f %.3f", (t ? " " : ""), cx + r * cos(t / 8 * 3.14159265), cy + r * sin(t / 8 * 3.14159265))
        print line}}'
}

# The fitted model's sensed-to-reference mapping on the grid, through its -georef_only VRT.
mapped() { gdaltransform "$1" "$ref" <"$work/grid.txt"; }

# Registers sensed onto reference (-georef_only, with the options given) and prints
# "verdict | check RMSE | error, mean | error, worst".
measure() {  # reference, sensed, options
  local verdict rmse err="– | –"
  rm -f "$work/m.json" "$work/m.vrt"
  # shellcheck disable=SC2086
  if "$mmreg" -q -of VRT -georef_only -report "$work/m.json" $3 "$1" "$2" "$work/m.vrt" >/dev/null 2>&1; then
    err=$(mapped "$work/m.vrt" | paste -d' ' "$work/grid.txt" - |
      awk '{d = sqrt(($3 - $1)^2 + ($4 - $2)^2); s += d; if (d > m) m = d} END {printf "%.2f | %.2f", s / NR, m}')
  fi
  # (Before 2026-12-01 a run that failed before its verdict wrote no report.)
  read -r verdict rmse < <(python3 -c "
import json, os, sys
r = json.load(open(sys.argv[1])) if os.path.exists(sys.argv[1]) else {'verdict': {'level': 'failed'}}
a = r.get('accuracy', {}).get('rmse_check_px')
print(r['verdict']['level'], '%.2f' % a if a is not None else '–')" "$work/m.json")
  echo "$verdict | $rmse | $err"
}

run() {  # name, nodata rings (empty: none)
  local name=$1 rings=$2 r=$ref
  if [ -n "$rings" ]; then
    r=$work/$name.tif
    gdal_translate -q "$ref" "$work/burn.tif"
    polygons <<<"$rings" >"$work/$name.geojson"
    gdal_rasterize -q -burn 0 -burn 0 -burn 0 "$work/$name.geojson" "$work/burn.tif"
    gdal_translate -q -stats -a_nodata 0 "$work/burn.tif" "$r"
  fi
  cp "$r" "$work/ref-$name.tif"
  local valid
  valid=$(gdalinfo -stats "$r" 2>/dev/null | awk -F= '/STATISTICS_VALID_PERCENT/ {printf "%.0f", $2; exit}')
  echo "| $name | ${valid:-100} | $(measure "$r" "$sen" "") |"
}

echo "| reference | valid pixels (%) | verdict | check RMSE (px) | error, mean (px) | error, worst (px) |"
echo "|---|---|---|---|---|---|"
run whole ""
for f in 0.3 0.45 0.6; do run "lower-rows-$f" "$(rows_ring "$f")"; done
for f in 0.5 0.7; do run "diagonal-edge-$f" "$(edge_ring "$f")"; done
for s in 0.3 0.5; do run "clouds-$s" "$(disc_rings 40 "$s")"; done

# Fill a file does not declare (the black collar around a scene cut to a north-up frame): corner
# triangles whose legs are a share f of the side, burnt to 0 with no nodata declared, in the
# reference, the sensed image or both; each registered as it is and with -refnodata 0 /
# -srcnodata 0 declaring the fill.
collar_rings() {
  awk -v f="$1" $box 'BEGIN {a = f * (xmax - xmin); b = f * (ymax - ymin)
    print xmin, ymax, xmin + a, ymax, xmin, ymax - b, xmin, ymax; print xmax, ymax, xmax - a, ymax, xmax, ymax - b, xmax, ymax
    print xmin, ymin, xmin + a, ymin, xmin, ymin + b, xmin, ymin; print xmax, ymin, xmax - a, ymin, xmax, ymin + b, xmax, ymin}'
}
collared() {  # source, target, leg share: the source with its corners burnt to 0, nothing declared
  gdal_translate -q "$1" "$2"
  polygons <<<"$(collar_rings "$3")" >"$work/collar.geojson"
  local bands
  bands=$(gdalinfo "$1" | grep -c '^Band ')
  # shellcheck disable=SC2046
  gdal_rasterize -q $(for _ in $(seq "$bands"); do echo -burn 0; done) "$work/collar.geojson" "$2"
}
fill_run() {  # name, reference, sensed, options
  echo "| $1 | ${4:-(none)} | $(measure "$2" "$3" "$4") |"
}
echo
echo "| undeclared fill | options | verdict | check RMSE (px) | error, mean (px) | error, worst (px) |"
echo "|---|---|---|---|---|---|"
for f in 0.3 0.6; do
  collared "$ref" "$work/ref-collar.tif" "$f"
  collared "$sen" "$work/sen-collar.tif" "$f"
  fill_run "reference, corners $f" "$work/ref-collar.tif" "$sen" ""
  fill_run "reference, corners $f" "$work/ref-collar.tif" "$sen" "-refnodata 0"
  fill_run "sensed, corners $f" "$ref" "$work/sen-collar.tif" ""
  fill_run "sensed, corners $f" "$ref" "$work/sen-collar.tif" "-srcnodata 0"
  fill_run "both, corners $f" "$work/ref-collar.tif" "$work/sen-collar.tif" ""
  fill_run "both, corners $f" "$work/ref-collar.tif" "$work/sen-collar.tif" "-refnodata 0 -srcnodata 0"
done

[ -d "$s1s2/sar" ] || exit 0
echo
echo "| reference | wrong sensed fragments | accepted (exit 0) | refused as failed | refused as doubtful |"
echo "|---|---|---|---|---|"
ullr=$(gdalinfo -json "$sen" | python3 -c "
import json, sys
c = json.load(sys.stdin)['cornerCoordinates']
print(*c['upperLeft'], *c['lowerRight'])")
for k in 003 030 046 089 156; do
  # shellcheck disable=SC2086
  gdal_translate -q -a_srs EPSG:3395 -a_ullr $ullr "$s1s2/sar/$k.png" "$work/wrong-$k.tif"
done
for name in whole lower-rows-0.6 diagonal-edge-0.7 clouds-0.3 clouds-0.5; do
  accepted=0 failed=0 doubtful=0
  for k in 003 030 046 089 156; do
    rm -f "$work/wrong.json"
    if "$mmreg" -q -report "$work/wrong.json" "$work/ref-$name.tif" "$work/wrong-$k.tif" - >/dev/null 2>&1; then
      accepted=$((accepted + 1))
    elif grep -q '"level":"doubtful"' "$work/wrong.json" 2>/dev/null; then
      doubtful=$((doubtful + 1))
    else
      failed=$((failed + 1))
    fi
  done
  echo "| $name | 5 | $accepted | $failed | $doubtful |"
done
