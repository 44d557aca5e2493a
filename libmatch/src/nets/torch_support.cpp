#include "nets/torch_support.h"

#include <cpl_vsi.h>

#include "mmreg/error.h"
#include "mmreg/learned_models.h"

namespace mmreg::nets {

torch::Device torchDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw Error("device cuda was asked for, but this LibTorch sees no CUDA GPU (Debian's libtorch is CPU-only); use cpu");
    return torch::kCUDA;
  }
  throw Error("unknown device '" + name + "'; use cpu or cuda");
}

std::string weightsPath(const std::string& given, const std::string& shippedFile, const std::string& what,
                        const std::string& flag, const std::string& trainer) {
  const std::string path = given.empty() ? shippedModelPath(shippedFile) : given;
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0)
    throw Error(what + " weights '" + path + "' not found; " + (flag.empty() ? "" : "pass the .pt file (" + flag + " FILE), ") +
                "set MMREG_MODEL_DIR to the folder of the shipped " +
                shippedFile + ", or train one with " + trainer);
  return path;
}

torch::Tensor imageTensor(const Image& image) {
  return torch::from_blob(const_cast<float*>(image.pixels.data()), {1, 1, image.height, image.width}, torch::kFloat);
}

}  // namespace mmreg::nets
