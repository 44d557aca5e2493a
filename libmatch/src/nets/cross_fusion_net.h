#pragma once
// The cross-fusion matching network of Li, Han & Ye 2022 (sections 3.3-3.5), our code: patches
// around every keypoint of two tiles become tokens (a CNN patch encoder plus a sinusoidal
// encoding of the patch's position in its tile), layers of cross-attention let each side's
// tokens attend to the other side's, and a dense head scores every reference/sensed pair in
// [0, 1]. Choices where the paper is silent are marked "choice".
#include <torch/torch.h>

#include <string>

namespace mmreg::nets {

struct CrossFusionOptions {
  int64_t patchSize = 96;      // the paper's best crop
  int64_t dim = 256;           // descriptor size (paper: 256)
  int64_t layers = 4;          // cross-fusion layers ("InteF" ablation: 4 beat 6 and 8)
  double widthMultiplier = 0.25;  // of the patch encoder's channels 32-64-128-256 (choice, for CPU)
  // Add the encoding of each patch's position to its token (paper: yes). Measured: it lets an
  // under-trained network match periodic keypoint layouts instead of content (models/README.md).
  bool positional = true;
  // End the patch encoder with its 6 x 6 map flattened (true) or averaged to one vector (false,
  // files from before 2026-11-23). Measured: the average is nearly the same for patches a few
  // pixels apart, so the network could not tell a keypoint's match from its neighbours.
  bool keepLayout = true;
  // Scale each patch to zero mean and unit variance before the encoder (as L2-Net and HardNet
  // do; false in files from before 2026-11-23): contrast and brightness differ across sensors.
  bool standardizePatches = true;
};

// Sinusoidal encoding of 2-D positions (Vaswani et al. 2017), for (N, 2) pixel positions x, y:
// the first dim/2 entries encode x, the rest y; in each half, entry 2i is sin(p / 10000^(4i/dim))
// and 2i+1 the cosine at the same frequency. dim must be a multiple of 4. Returns (N, dim).
torch::Tensor positionalEncoding(const torch::Tensor& positions, int64_t dim);

// One cross-fusion layer (choice: shared weights for both directions, so the network treats
// the two tiles alike): tokens of A attend to B's keys and values, B's to A's, each followed by
// a residual connection, layer norm and a feed-forward block.
struct CrossAttentionImpl : torch::nn::Module {
  explicit CrossAttentionImpl(int64_t dim);
  // softmax(Q K^T / sqrt(d)) V with Q from `x`, K and V from `other`; then the residual blocks.
  torch::Tensor attend(const torch::Tensor& x, const torch::Tensor& other);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& a, const torch::Tensor& b);
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, out{nullptr}, ff1{nullptr}, ff2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
};
TORCH_MODULE(CrossAttention);

struct CrossFusionNetImpl : torch::nn::Module {
  explicit CrossFusionNetImpl(const CrossFusionOptions& options = {});
  // Patches (N, 1, P, P) and (M, 1, P, P) with their centres in their tiles (N, 2), (M, 2),
  // pixels: the matching matrix (N, M), scores in [0, 1].
  torch::Tensor forward(const torch::Tensor& patchesA, const torch::Tensor& positionsA, const torch::Tensor& patchesB,
                        const torch::Tensor& positionsB, const torch::Tensor& candidates = {});
  // The matching matrix (N, M) of fused descriptors (N, dim) and (M, dim), built a block of rows
  // at a time so that the pair features stay small for thousands of keypoints. With `candidates`
  // (N, M, bool), only those pairs are scored and the others are 0: the head costs the most.
  torch::Tensor score(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& candidates = {});
  // The 256-d descriptors after the cross-fusion layers, (N, dim) and (M, dim): fuse(encode(...)).
  std::pair<torch::Tensor, torch::Tensor> descriptors(const torch::Tensor& patchesA, const torch::Tensor& positionsA,
                                                      const torch::Tensor& patchesB, const torch::Tensor& positionsB);
  // The patch encoder's outputs of both sides, (N, dim) and (M, dim), before any fusion.
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& patchesA, const torch::Tensor& patchesB);
  // The positional encoding and the cross-fusion layers on encoder outputs.
  std::pair<torch::Tensor, torch::Tensor> fuse(torch::Tensor a, const torch::Tensor& positionsA, torch::Tensor b,
                                               const torch::Tensor& positionsB);

  CrossFusionOptions options;
  torch::nn::Sequential encoder{nullptr};
  torch::nn::ModuleList fusion{nullptr};
  torch::nn::Sequential head{nullptr};
};
TORCH_MODULE(CrossFusionNet);

// Square patches of side p centred on `centres` (N, 2; pixel-corner coordinates, x then y) of
// an image (1, 1, H, W), zero outside it: (N, 1, p, p). Training and inference share it.
torch::Tensor patchesAt(const torch::Tensor& image, const torch::Tensor& centres, int64_t p);

// Weights with the options they were built with, so that loading needs no settings.
void saveMatcher(CrossFusionNet& net, const std::string& path);
CrossFusionNet loadMatcher(const std::string& path, const torch::Device& device);

// Mutual best matches of a matching matrix (N, M) with score at least `threshold`: (K, 3)
// rows of (index in A, index in B, score), strongest first.
torch::Tensor mutualMatches(const torch::Tensor& matrix, double threshold);

}  // namespace mmreg::nets
