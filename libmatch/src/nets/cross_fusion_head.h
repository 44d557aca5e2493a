#pragma once
// The cross-fusion matching head of Li, Han & Ye 2022 (sections 3.3-3.5) on the learned
// backbone's dense descriptors (issue 14): each keypoint's token is the block of descriptors
// around it, pooled to a few cells, projected and given the sinusoidal encoding of its position;
// four cross-fusion layers let each side's tokens attend to the other side's; the matching matrix
// scores every reference/sensed pair.
//
// The matrix's logit is scale * (NCC of the two pooled blocks - offset) plus a learned bilinear
// form of the fused tokens whose matrix starts at zero, and every fusion layer starts as the
// identity: the untrained head ranks pairs exactly as the NCC of the descriptor blocks does (what
// the area matcher correlates), and training adds what the tokens' context says.
#include <torch/torch.h>

#include <string>

namespace mmreg::nets {

struct CrossFusionHeadOptions {
  int channels = 9;  // descriptor channels
  int block = 32;    // pixels: the descriptor block a token describes
  int cells = 8;     // the block is pooled to cells x cells (4 px each)
  int dim = 64;      // token size; a multiple of 4 (the positional encoding's halves)
  int layers = 4;    // cross-fusion layers (the paper's ablation: 4 beat 6 and 8)
};

// Sinusoidal encoding of 2-D positions (Vaswani et al. 2017), for (N, 2) pixel positions x, y:
// the first dim/2 entries encode x, the rest y; in each half, entry 2i is sin(p / 10000^(4i/dim))
// and 2i+1 the cosine at the same frequency. dim must be a multiple of 4. Returns (N, dim).
torch::Tensor positionalEncoding(const torch::Tensor& positions, int64_t dim);

// The descriptor blocks of keypoints: descriptors (1, C, H, W), centres (N, 2) in pixel-corner
// coordinates (a pixel's centre is at x + 0.5). Each block is block x block px around its
// centre, averaged over cells of block / cells px (bilinear, zero outside the image), each
// channel made zero-mean over the cells and the whole block scaled to unit length: (N, C * cells^2).
// The dot product of two blocks is their multi-channel zero-mean NCC.
torch::Tensor descriptorBlocks(const torch::Tensor& descriptors, const torch::Tensor& centres, int block, int cells);

// One cross-fusion layer (pre-norm; shared weights for both directions, so the two tiles are
// treated alike): tokens of A attend to B's keys and values, softmax(Q K^T / sqrt(d)) V, then a
// feed-forward block, each added to its input. Both additions start at zero (identity layer).
struct CrossFusionLayerImpl : torch::nn::Module {
  explicit CrossFusionLayerImpl(int64_t dim);
  torch::Tensor attend(const torch::Tensor& x, const torch::Tensor& other);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& a, const torch::Tensor& b);
  void resetResidual();
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, out{nullptr}, ff1{nullptr}, ff2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
};
TORCH_MODULE(CrossFusionLayer);

struct CrossFusionHeadImpl : torch::nn::Module {
  explicit CrossFusionHeadImpl(const CrossFusionHeadOptions& options = {});
  // Blocks (N, K), (M, K) from descriptorBlocks and positions (N, 2), (M, 2) in one frame: the
  // matching matrix's logits (N, M). With `candidates` (N, M, bool), other pairs get -inf.
  torch::Tensor forward(const torch::Tensor& blocksA, const torch::Tensor& positionsA, const torch::Tensor& blocksB,
                        const torch::Tensor& positionsB, const torch::Tensor& candidates = {});
  // Zeroes the learned parts: forward() == scale * (blocksA blocksB^T - offset).
  void resetResidual();

  CrossFusionHeadOptions options;
  torch::Tensor scale, offset, bilinear;  // bilinear (dim, dim), used symmetrised
  torch::nn::Linear project{nullptr};
  torch::nn::ModuleList fusion{nullptr};
  torch::nn::LayerNorm finalNorm{nullptr};
};
TORCH_MODULE(CrossFusionHead);

// Weights with their architecture; load throws mmreg::Error naming the file and what to do.
void saveCrossFusionHead(CrossFusionHead& net, const std::string& path);
CrossFusionHead loadCrossFusionHead(const std::string& path, const torch::Device& device);

// Mutual best matches of a matching matrix (N, M) with score at least `threshold`: (K, 3)
// rows of (index in A, index in B, score), strongest first.
torch::Tensor mutualMatches(const torch::Tensor& matrix, double threshold);

}  // namespace mmreg::nets
