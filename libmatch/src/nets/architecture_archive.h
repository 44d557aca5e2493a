#pragma once
// Weights files that carry their architecture: a few integers beside the parameters, so that a
// loader builds the right network before reading them.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "mmreg/error.h"

namespace mmreg::nets {

void saveWithArchitecture(torch::nn::Module& net, const std::vector<int64_t>& architecture, const std::string& path);

// Builds the network from the file's architecture numbers, reads its weights, moves it to
// `device` in eval mode. Throws mmreg::Error: "cannot load <what> weights from '<path>' (why);
// <advice>".
template <class Holder>
Holder loadWithArchitecture(const std::string& path, const torch::Device& device, const std::string& what, const std::string& advice,
                            const std::function<Holder(const std::vector<int64_t>&)>& build) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::Tensor arch;
    archive.read("architecture", arch);
    const auto v = arch.to(torch::kCPU).to(torch::kLong).contiguous();
    Holder net = build(std::vector<int64_t>(v.data_ptr<int64_t>(), v.data_ptr<int64_t>() + v.numel()));
    net->load(archive);
    net->to(device);
    net->eval();
    return net;
  } catch (const c10::Error& e) {
    throw Error("cannot load " + what + " weights from '" + path + "' (" + e.what_without_backtrace() + "); " + advice);
  }
}

}  // namespace mmreg::nets
