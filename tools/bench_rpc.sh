#!/usr/bin/env bash
# RPC refinement benchmark on the constructed case (mmreg_make_rpc_case: the Landsat scene seen by
# an oblique camera over its DEM, RPCs fitted to the camera, then biased by (25, -18) px and 0.4
# degrees). For each relief (the DEM's heights times 1 and 3) and each height source (-dem, flat
# ground), one row: the report's check-point error of the refined RPCs, and the true error: the
# mean and worst image distance, over an 8 x 8 grid, between the true RPCs and the refined ones
# through GDAL's RPC transformer with the DEM (gdaltransform -rpc -to RPC_DEM=...), against the
# delivered RPCs' error. Usage: tools/bench_rpc.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
landsat=../shared/data/landsat
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for j in 1 2 3 4 5 6 7 8; do for i in 1 2 3 4 5 6 7 8; do echo "$((i * 320 / 9)) $((j * 320 / 9))"; done; done >"$work/px.txt"

# Mean and worst distance between the grid and its round trip: true RPCs to the terrain, the
# tested RPCs back to the image.
error_of() {
  gdaltransform -rpc -to RPC_DEM="$1/dem.tif" "$1/truth_rpc.tif" <"$work/px.txt" |
    gdaltransform -i -rpc -to RPC_DEM="$1/dem.tif" "$2" | paste -d' ' "$work/px.txt" - |
    awk '{d = sqrt(($3 - $1)^2 + ($4 - $2)^2); s += d; if (d > m) m = d} END {printf "%.2f | %.2f", s / NR, m}'
}
check_of() {
  python3 -c "import json,sys; k=json.load(open(sys.argv[1]))['rpc_refinement']; print('%.3f | %d' % (k['rmse_check_px'], k['check_points']))" "$1"
}

echo "| relief | heights | check RMSE (px) | check points | true error, mean (px) | true error, worst (px) | delivered RPCs, mean / worst (px) |"
echo "|---|---|---|---|---|---|---|"
for relief in 1 3; do
  case_dir="$work/relief$relief"
  mkdir -p "$case_dir"
  "$build/tools/mmreg_make_rpc_case" "$landsat" "$case_dir" "$relief" 0.05 >/dev/null
  before=$(error_of "$case_dir" "$case_dir/sensed_rpc.tif" | sed 's/ | / \/ /')
  "$build/gdal_driver/mmreg" -q -rpc_refine -dem "$case_dir/dem.tif" -report "$case_dir/dem.json" \
    "$case_dir/reference.tif" "$case_dir/sensed_rpc.tif" "$case_dir/with_dem.tif"
  echo "| x$relief | DEM | $(check_of "$case_dir/dem.json") | $(error_of "$case_dir" "$case_dir/with_dem.tif") | $before |"
  "$build/gdal_driver/mmreg" -q -rpc_refine -report "$case_dir/flat.json" \
    "$case_dir/reference.tif" "$case_dir/sensed_rpc.tif" "$case_dir/flat.tif"
  echo "| x$relief | flat (RPC height offset) | $(check_of "$case_dir/flat.json") | $(error_of "$case_dir" "$case_dir/flat.tif") | $before |"
done
