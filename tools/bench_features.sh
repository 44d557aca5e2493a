#!/usr/bin/env bash
# Issue 13's benchmark: the learned feature backbone against the structural features, on the
# held-out test split (never trained on), in one run:
#  1. template accuracy (mmreg_bench_features): aligned pairs, no misregistration, 96 px templates
#     searched +-12 px, the share whose NCC peak lies within 2 px; structural, the paired model,
#     the single-modality (MIFNet-style) model;
#  2. registration (mmreg_bench, the TEST_SPLIT protocol): area on structural features against
#     area on each learned model, with success, median check error, MMA, seconds a pair.
# Usage: tools/bench_features.sh [build dir] [data dir] [out dir]
# PAIRED and SINGLE name the two models (default: the shipped ones).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=${2:-../shared/data}
out=${3:-docs/benchmarks}
paired=${PAIRED:-models/backbone.pt}
single=${SINGLE:-models/backbone_single.pt}
day=$(date +%F)

echo "## Template accuracy, held-out SAR-optical groups (and the validation group RCM)"
"$build/tools/mmreg_bench_features" --data "$data" --split all --groups 3mos/ALOS,3mos/TerraSAR,3mos/RCM --per-group 20 \
  --variants "structural,learned:$paired,learned:$single"

echo
echo "## Registration, test split, area on structural features vs on the paired model"
"$build/tools/mmreg_bench" --data "$data" --split test --per-group 10 --pipelines area,area@learned --coarse never --audit-truth \
  --feature-weights "$paired" --csv "$out/${day}_test_split_features_paired.csv"

echo
echo "## Registration, test split, area on the single-modality model"
"$build/tools/mmreg_bench" --data "$data" --split test --per-group 10 --pipelines area@learned --coarse never --audit-truth \
  --feature-weights "$single" --csv "$out/${day}_test_split_features_single.csv"
