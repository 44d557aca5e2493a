#!/usr/bin/env bash
# Batch throughput: 8 pairs (the bundled SAR sample, as a time series of one scene, each run
# written to its own output) with mmreg_batch on 1 rank x 1 thread and on 2 ranks x 1 thread (mpirun), run in turn
# in the same session. One table: wall time, pairs per minute, the ratio, and whether every
# pair's model is identical across the two runs. Usage: tools/bench_batch.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
s=$PWD/sample_data
{
  echo "reference,sensed,output"
  for k in 1 2 3 4 5 6 7 8; do echo "$s/s1s2_075_ref.tif,$s/s1s2_075_sensed.tif,sar$k.tif"; done
} >"$work/pairs.csv"
run() {  # ranks, summary
  local t0 t1
  t0=$(date +%s.%N)
  if [ "$1" = 1 ]; then
    "$build/gdal_driver/mmreg_batch" -q -overwrite -threads 1 -summary "$2" "$work/pairs.csv" >/dev/null 2>&1
  else
    mpirun -n "$1" --allow-run-as-root --oversubscribe "$build/gdal_driver/mmreg_batch" -q -overwrite -threads 1 -summary "$2" \
      "$work/pairs.csv" >/dev/null 2>&1
  fi
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}'
}
one=$(run 1 "$work/one.json")
two=$(run 2 "$work/two.json")
same=$(python3 -c "
import json, sys
a, b = (json.load(open(p))['results'] for p in sys.argv[1:])
print('yes' if [r['parameters'] for r in a] == [r['parameters'] for r in b] and all(r['status'] == 'verified' for r in a + b) else 'NO')
" "$work/one.json" "$work/two.json")
echo "| ranks x threads | pairs | wall (s) | pairs per minute |"
echo "|---|---|---|---|"
echo "| 1 x 1 | 8 | $one | $(awk -v t="$one" 'BEGIN{printf "%.1f", 480 / t}') |"
echo "| 2 x 1 | 8 | $two | $(awk -v t="$two" 'BEGIN{printf "%.1f", 480 / t}') |"
echo
echo "throughput ratio 2 ranks / 1 rank: $(awk -v a="$one" -v b="$two" 'BEGIN{printf "%.2f", a / b}'); every model identical and verified in both runs: $same"
