#include "nets/architecture_archive.h"

namespace mmreg::nets {

void saveWithArchitecture(torch::nn::Module& net, const std::vector<int64_t>& architecture, const std::string& path) {
  torch::serialize::OutputArchive archive;
  net.save(archive);
  archive.write("architecture", torch::tensor(architecture));
  archive.save_to(path);
}

}  // namespace mmreg::nets
