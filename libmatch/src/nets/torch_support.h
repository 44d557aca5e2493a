#pragma once
// What every LibTorch model behind mmreg's interfaces shares: the device, where the shipped
// weights are, and images as tensors.
#include <torch/torch.h>

#include <string>

#include "mmreg/image.h"

namespace mmreg::nets {

// "cpu" or "cuda" as a LibTorch device; throws mmreg::Error for CUDA without a GPU, or another name.
torch::Device torchDevice(const std::string& name);

// Where a model's weights are: `given`, or the shipped `shippedFile`; throws mmreg::Error
// saying how to get them when the file is missing (`flag`: the option that names the file, if any).
std::string weightsPath(const std::string& given, const std::string& shippedFile, const std::string& what,
                        const std::string& flag, const std::string& trainer);

// An image (values in [0, 1]) as a (1, 1, H, W) tensor sharing its pixels.
torch::Tensor imageTensor(const Image& image);

}  // namespace mmreg::nets
