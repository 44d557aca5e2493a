#pragma once
// The keypoint detection network of Li, Han & Ye, "Self-Supervised Keypoint Detection and
// Cross-Fusion Matching Networks for Multimodal Remote Sensing Image Registration", Remote
// Sensing 14(15):3599, 2022, section 3.2; our code. Choices where the paper is vague are
// marked "choice" and tested in tests/test_detection_net.cpp.
#include <torch/torch.h>

#include <array>
#include <string>

#include "nets/deform_conv.h"

namespace mmreg::nets {

struct DetectionNetOptions {
  // Widths of the paper's encoder stages are 64, 128, 256, 512 (and 128 in the decoder); a
  // width multiplier makes the network usable on CPU (choice: 0.25 by default).
  double widthMultiplier = 0.25;
  int inChannels = 1;
  std::array<double, 3> fusion{0.1, 0.3, 0.6};  // weights of SConv-8, SConv-20, DCN-2 (paper's best)
  // How the 1/8-resolution stages reach full size (choice; the paper says "upsampled"). true:
  // a learned sub-pixel convolution (1x1 conv to 8 x 64 channels, pixel shuffle; Shi et al.
  // 2016), peakiness at full size. false: peakiness at 1/8, bilinear upsampling, which puts
  // every maximum on the 8 px lattice of the coarse samples (measured: see models/README.md).
  bool subPixel = true;
};

// 3x3 conv + BN + ReLU (Conv-0/1).
struct ConvBnReluImpl : torch::nn::Module {
  ConvBnReluImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBnRelu);

// Depthwise-separable conv (SConv): depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU.
struct SeparableConvImpl : torch::nn::Module {
  SeparableConvImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d depthwise{nullptr}, pointwise{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(SeparableConv);

// Peakiness score of a feature map y (B, C, h, w), as in the paper (after D2-Net/ASLFeat):
// beta = softplus(y - mean over channels), alpha = softplus(y - mean over the 3x3 neighbourhood,
// edges replicated), gamma = max over channels of alpha * beta. Returns (B, 1, h, w).
torch::Tensor peakiness(const torch::Tensor& y);

struct DetectionOutput {
  torch::Tensor score;                  // (B, 1, H, W) fused, each map scaled to [0, 1]
  std::array<torch::Tensor, 3> stages;  // (B, 1, H, W) gamma of SConv-8, SConv-20, DCN-2, scaled
};

struct DetectionNetImpl : torch::nn::Module {
  explicit DetectionNetImpl(const DetectionNetOptions& options = {});
  // Any input size (B, inChannels, H, W): the encoder pools to 1/8 with floor, the score maps
  // are upsampled back to exactly H x W.
  DetectionOutput forward(const torch::Tensor& image);

  DetectionNetOptions options;
  ConvBnRelu conv0{nullptr}, conv1{nullptr};
  torch::nn::Sequential sconv0to8{nullptr}, sconv9to20{nullptr};
  DeformConv2d dcn0{nullptr}, dcn1{nullptr}, dcn2{nullptr};
  std::array<torch::nn::Conv2d, 3> upsample{nullptr, nullptr, nullptr};  // sub-pixel heads, when options.subPixel

 private:
  torch::Tensor stageScore(int stage, const torch::Tensor& y, int64_t h, int64_t w);
};
TORCH_MODULE(DetectionNet);

// Keypoints of a fused score map (1, 1, H, W): local maxima within `radius` whose score is at
// least `threshold` (paper: 0.6), strongest first, no two within `radius` (Chebyshev; plateaus
// give one point), at most maxPoints. Returns (N, 3): x, y, score.
torch::Tensor selectKeypoints(const torch::Tensor& score, double threshold, int radius, int maxPoints);

// Minimum-eigenvalue corner response (Shi-Tomasi) of an image (1, 1, H, W): Sobel gradients,
// structure tensor averaged over 7 x 7 px. Returns (H, W).
torch::Tensor cornerResponse(const torch::Tensor& image);

// Moves each keypoint (N, 3: x, y, score, pixel indices; strongest first) to the strongest
// corner response within `radius` px (Chebyshev) on a valid pixel (`valid`: (1, 1, H, W), or
// undefined for all), and drops those that land within `radius` px (Euclidean) of a stronger
// one, so the result stays sorted and separated. Choice, not in the paper: the shipped network's score maps
// peak at one fixed place in each 8 px cell, so its raw keypoints sit on an 8 px lattice and
// cannot repeat under shifts that are not whole cells; the network picks the cell, the image
// the point in it.
torch::Tensor relocateToCorners(const torch::Tensor& image, const torch::Tensor& keypoints, int radius,
                                const torch::Tensor& valid = {});

// Weights with the width multiplier they were built with, so that loading needs no settings.
// Throws mmreg::Error when the file is missing, unreadable or not a detector.
void saveDetector(DetectionNet& net, const std::string& path);
DetectionNet loadDetector(const std::string& path, const torch::Device& device);

}  // namespace mmreg::nets
