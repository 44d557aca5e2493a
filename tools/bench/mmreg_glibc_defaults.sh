#!/bin/sh
# mmreg with glibc's default allocator behaviour, for A/B runs against keepFreedMemoryForReuse
# (tools/bench_large.sh build SIZES "glibc-defaults=tools/bench/mmreg_glibc_defaults.sh"): an
# explicit glibc tunable, one that changes nothing, makes mmreg leave the allocator alone.
here=$(cd "$(dirname "$0")/../.." && pwd)
exec env GLIBC_TUNABLES=glibc.malloc.perturb=0 "${MMREG_BIN:-$here/build/gdal_driver/mmreg}" "$@"
