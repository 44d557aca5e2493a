#include "nets/learned_detector.h"

#include <cpl_vsi.h>

#include <algorithm>
#include <thread>

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

void setTorchThreads(int threads) {
  torch::set_num_threads(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

torch::Tensor imageTensor(const Image& image) {
  return torch::from_blob(const_cast<float*>(image.pixels.data()), {1, 1, image.height, image.width}, torch::kFloat);
}

LearnedDetector::LearnedDetector(const LearnedModelOptions& o) : device_(torchDevice(o.device)) {
  net_ = loadDetector(weightsPath(o.weights, "detector.pt", "learned detector", "-weights", "mmreg_train_detector"), device_);
  setTorchThreads(o.threads);
}

std::vector<Keypoint> LearnedDetector::detect(const Image& image, int maxPoints) const {
  if (image.empty() || maxPoints <= 0) return {};
  torch::NoGradGuard noGrad;
  auto score = net_->forward(imageTensor(image).to(device_)).score.to(torch::kCPU);
  torch::Tensor valid;
  if (!image.valid.empty()) {
    valid = torch::from_blob(const_cast<std::uint8_t*>(image.valid.data()), {1, 1, image.height, image.width}, torch::kUInt8)
                .to(torch::kFloat);
    score = score * valid;
  }
  const auto k = relocateToCorners(imageTensor(image), selectKeypoints(score, 1e-6, 4, maxPoints), 4, valid);  // (N, 3): x, y, score
  std::vector<Keypoint> out;
  const auto a = k.accessor<float, 2>();
  for (int64_t i = 0; i < k.size(0); ++i) out.push_back({{a[i][0] + 0.5, a[i][1] + 0.5}, a[i][2]});
  return out;
}

}  // namespace mmreg::nets
