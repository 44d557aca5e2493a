// Writes the constructed RPC case (mmreg/rpc_case.h) into a folder, for the benchmark
// tools/bench_rpc.sh and for trying -rpc_refine by hand.
// Usage: mmreg_make_rpc_case LANDSAT_DIR OUT_DIR [RELIEF_EXAGGERATION] [PARALLAX_PX_PER_M]
#include <cstdio>
#include <cstdlib>

#include "mmreg/error.h"
#include "mmreg/rpc_case.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LANDSAT_DIR OUT_DIR [RELIEF_EXAGGERATION] [PARALLAX_PX_PER_M]\n", argv[0]);
    return 2;
  }
  mmreg::RpcCaseOptions o;
  if (argc > 3) o.reliefExaggeration = std::atof(argv[3]);
  if (argc > 4) o.parallaxPxPerMetre = std::atof(argv[4]);
  try {
    const auto c = mmreg::makeRpcCase(argv[1], argv[2], o);
    std::printf("reference %s\nsensed %s\ntruth %s\ndem %s\nrpc fit error %.2g px\n", c.reference.c_str(), c.sensed.c_str(),
                c.truth.c_str(), c.dem.c_str(), c.fitErrorPx);
  } catch (const mmreg::Error& e) {
    std::fprintf(stderr, "mmreg_make_rpc_case: %s\n", e.what());
    return 1;
  }
  return 0;
}
