#include <cpl_conv.h>
#include <cpl_vsi.h>

#include <vector>

#include "mmreg/learned_models.h"

namespace mmreg {

std::string shippedModelPath(const std::string& file) {
  std::vector<std::string> dirs;
  if (const char* env = CPLGetConfigOption("MMREG_MODEL_DIR", nullptr)) dirs.push_back(env);
  dirs.push_back(MMREG_INSTALLED_MODEL_DIR);
  dirs.push_back(MMREG_SOURCE_MODEL_DIR);
  VSIStatBufL st;
  for (const auto& d : dirs) {
    const std::string p = d + "/" + file;
    if (VSIStatL(p.c_str(), &st) == 0) return p;
  }
  return dirs.back() + "/" + file;
}

}  // namespace mmreg
