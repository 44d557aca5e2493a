#!/usr/bin/env bash
# What keepFreedMemoryForReuse (libmatch/include/mmreg/process_memory.h) changes: the same runs
# with mmreg's allocator setting and with glibc's defaults (an explicit glibc tunable, one that
# does nothing, makes mmreg leave the allocator alone), in turn, A B A B:
#  1. mmreg_bench on the georeferenced test split (TEST_SPLIT protocol, area): median seconds a
#     pair and the run's peak RSS, and that no registration changed;
#  2. mmreg_bench_matchers on the validation tiles: ms per 512 px tile pair, area on structural
#     and on learned features (issue 13's time budget is the ratio of the two).
# Usage: tools/bench_process_memory.sh [build dir] [data dir] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
data=${2:-../shared/data}
rounds=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
defaults="GLIBC_TUNABLES=glibc.malloc.perturb=0"

# Runs "$@" under the named allocator setting.
under() {
  local setting=$1
  shift
  if [ "$setting" = mmreg ]; then "$@"; else env "$defaults" "$@"; fi
}

echo "| round | allocator | median s/pair | peak RSS (MB) | within 3 px | area ms/tile | area@learned ms/tile | learned / area |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for setting in mmreg glibc-defaults; do
    csv="$work/$setting-$round.csv"
    all=$(under "$setting" "$build/tools/mmreg_bench" --data "$data" --split test --per-group 10 --pipelines area \
      --coarse never --csv "$csv" 2>/dev/null | grep '^| \*\*all\*\*')
    tiles=$(under "$setting" "$build/tools/mmreg_bench_matchers" --data "$data" --split validation --tiles 6 --threads 2 \
      --repeats 5 --matchers area,area@learned 2>/dev/null | grep "^| area" | tr "\n" " ")
    echo "$all" "$tiles" | awk -F'|' -v r="$round" -v s="$setting" '
      { secs = $17; rss = $18; ok = $5; area = $21; learned = $28
        gsub(/ /, "", secs); gsub(/ /, "", rss); gsub(/^ +| +$/, "", ok); gsub(/ /, "", area); gsub(/ /, "", learned)
        printf "| %d | %s | %s | %s | %s | %s | %s | %.2f |\n", r, s, secs, rss, ok, area, learned, learned / area }'
  done
done
# The registrations themselves must not depend on the allocator: compare every run's CSV with the first.
first=$(ls "$work"/*.csv | head -1)
for f in "$work"/*.csv; do
  if ! cut -d, -f1-18 "$f" | cmp -s - <(cut -d, -f1-18 "$first"); then echo "registrations differ: $f"; exit 1; fi
done
echo
echo "every run registered the same cases with the same models (CSV columns 1-18 identical)"
