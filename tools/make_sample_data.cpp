// Regenerates sample_data/ from ../shared/data: the pairs and misregistrations documented in
// sample_data/README.md. Usage: mmreg_make_sample_data <shared/data> <sample_data>
#include <cpl_vsi.h>

#include <cstdio>

#include "mmreg/error.h"
#include "mmreg/synthetic_case.h"

namespace {

const mmreg::AlignedPair* find(const std::vector<mmreg::AlignedPair>& all, const std::string& name) {
  for (auto& p : all)
    if (p.name == name) return &p;
  return nullptr;
}

void make(const std::vector<mmreg::AlignedPair>& all, const std::string& name, const mmreg::Misregistration& m,
          const std::string& outDir, const std::string& stem) {
  const auto* p = find(all, name);
  if (!p) throw mmreg::Error("pair " + name + " not found; is the shared data folder right?");
  const auto c = mmreg::buildCase(*p, m, mmreg::MisregistrationMode::Georeferencing, outDir, stem);
  std::printf("%s: %s + %s (shift %.1f,%.1f px, rotation %.2f deg, scale %.3f about the reference centre)\n",
              name.c_str(), c.reference.c_str(), c.sensed.c_str(), m.dx, m.dy, m.rotationDeg, m.scale);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <shared/data> <sample_data>\n", argv[0]);
    return 2;
  }
  const std::string data = argv[1], out = argv[2];
  try {
    mmreg::Misregistration sar;
    sar.dx = 23.4, sar.dy = -17.8, sar.rotationDeg = 1.5, sar.scale = 1.02;
    make(mmreg::loadS1S2(data + "/s1s2"), "s1s2/075", sar, out, "s1s2_075");
    mmreg::Misregistration swir;
    swir.dx = -12.3, swir.dy = 8.7, swir.rotationDeg = -2.0, swir.scale = 0.98;
    make(mmreg::loadLandsat(data + "/landsat"), "landsat/red-swir1", swir, out, "landsat_red_swir1");
  } catch (const mmreg::Error& e) {
    std::fprintf(stderr, "mmreg_make_sample_data: %s\n", e.what());
    return 1;
  }
  return 0;
}
