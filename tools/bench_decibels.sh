#!/usr/bin/env bash
# SAR given as calibrated backscatter in decibels (Float32, mostly negative), as Earth Engine's
# S1_GRD and SNAP's Sigma0_dB bands give Sentinel-1, against the same SAR as amplitude. The test
# split's SAR pairs (3MOS and VSFF; seed 7, default misregistration), the area matcher, with
# -sensed_type auto and sar. Prints the four "all" rows of mmreg_bench. Usage:
#   tools/bench_decibels.sh [build dir] [shared data folder]
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-build}/tools/mmreg_bench
data=${2:-../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| SAR given as | -sensed_type | cases | success (< 3 px) | accepted but wrong | refused but right | MMA@3px | NN mAP |"
echo "|---|---|---|---|---|---|---|---|"
for scale in amplitude decibels; do
  for type in auto sar; do
    extra=()
    [ "$scale" = decibels ] && extra=(--sar-decibels)
    "$bench" --data "$data" --sources 3mos,s1s2,vsff --pipelines area --sensed-type "$type" --work "$work" \
      ${extra[@]+"${extra[@]}"} 2>/dev/null |
      awk -F'|' -v s="$scale" -v t="$type" '/^\| \*\*all/ {printf "| %s | %s |%s|%s|%s|%s|%s|%s|\n", s, t, $4, $5, $6, $7, $12, $15}'
  done
done
