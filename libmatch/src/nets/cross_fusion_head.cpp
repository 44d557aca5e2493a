#include "nets/cross_fusion_head.h"

#include <cmath>

#include "mmreg/error.h"
#include "nets/architecture_archive.h"

namespace mmreg::nets {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

torch::Tensor positionalEncoding(const torch::Tensor& positions, int64_t dim) {
  if (dim % 4 != 0) throw Error("the positional encoding needs a size divisible by 4, got " + std::to_string(dim));
  const int64_t quarter = dim / 4;
  const auto i = torch::arange(quarter, positions.options().dtype(torch::kFloat));
  const auto freq = torch::exp(i * (-std::log(10000.0) * 4.0 / dim));  // 1 / 10000^(4i/dim)
  std::vector<torch::Tensor> halves;
  for (int axis = 0; axis < 2; ++axis) {
    const auto angle = positions.select(1, axis).to(torch::kFloat).unsqueeze(1) * freq.unsqueeze(0);  // (N, dim/4)
    halves.push_back(torch::stack({angle.sin(), angle.cos()}, 2).flatten(1));  // sin, cos interleaved
  }
  return torch::cat(halves, 1);
}

torch::Tensor descriptorBlocks(const torch::Tensor& descriptors, const torch::Tensor& centres, int block, int cells) {
  const int64_t c = descriptors.size(1), h = descriptors.size(2), w = descriptors.size(3), n = centres.size(0);
  if (n == 0) return torch::zeros({0, c * cells * cells}, descriptors.options());
  const int cell = block / cells, kernel = cell | 1;  // an odd box, so that its mean is centred on its pixel
  const auto pooled = F::avg_pool2d(descriptors, F::AvgPool2dFuncOptions(kernel).stride(1).padding(kernel / 2).count_include_pad(false));
  // Cell centres relative to the keypoint, pixels: (k + 0.5) cell - block / 2.
  const auto offsets = (torch::arange(cells, descriptors.options()) + 0.5) * cell - block / 2.0;
  const auto oy = offsets.view({cells, 1}).expand({cells, cells}).reshape({1, -1}), ox = offsets.view({1, cells}).expand({cells, cells}).reshape({1, -1});
  const auto ctr = centres.to(descriptors.device()).to(torch::kFloat);
  const auto x = ctr.select(1, 0).unsqueeze(1) + ox, y = ctr.select(1, 1).unsqueeze(1) + oy;  // (N, cells^2)
  const auto grid = torch::stack({2 * x / w - 1, 2 * y / h - 1}, -1).unsqueeze(0);  // (1, N, cells^2, 2); align_corners false
  auto sampled = F::grid_sample(pooled, grid, F::GridSampleFuncOptions().align_corners(false).padding_mode(torch::kZeros));
  sampled = sampled[0].permute({1, 0, 2});  // (N, C, cells^2)
  sampled = (sampled - sampled.mean(2, true)).reshape({n, -1});
  return sampled / (sampled.norm(2, 1, true) + 1e-6);
}

CrossFusionLayerImpl::CrossFusionLayerImpl(int64_t dim) {
  q = register_module("q", nn::Linear(dim, dim));
  k = register_module("k", nn::Linear(dim, dim));
  v = register_module("v", nn::Linear(dim, dim));
  out = register_module("out", nn::Linear(dim, dim));
  ff1 = register_module("ff1", nn::Linear(dim, 2 * dim));
  ff2 = register_module("ff2", nn::Linear(2 * dim, dim));
  norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({dim})));
  norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({dim})));
  resetResidual();
}

void CrossFusionLayerImpl::resetResidual() {
  torch::NoGradGuard noGrad;
  for (auto* l : {&out, &ff2}) (*l)->weight.zero_(), (*l)->bias.zero_();
}

torch::Tensor CrossFusionLayerImpl::attend(const torch::Tensor& x, const torch::Tensor& other) {
  if (other.size(0) == 0) return x;  // nothing to attend to
  const double scale = 1.0 / std::sqrt(static_cast<double>(x.size(-1)));
  const auto nx = norm1->forward(x), no = norm1->forward(other);
  const auto attention = torch::softmax(q->forward(nx).matmul(k->forward(no).t()) * scale, -1);
  const auto fused = x + out->forward(attention.matmul(v->forward(no)));
  return fused + ff2->forward(torch::relu(ff1->forward(norm2->forward(fused))));
}

std::pair<torch::Tensor, torch::Tensor> CrossFusionLayerImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  return {attend(a, b), attend(b, a)};  // both directions from the same inputs: order-free
}

CrossFusionHeadImpl::CrossFusionHeadImpl(const CrossFusionHeadOptions& o) : options(o) {
  if (o.dim % 4 != 0 || o.cells < 1 || o.block < o.cells) throw Error("cross-fusion head: dim must be a multiple of 4 and block >= cells >= 1");
  // The untrained logit is 0 (probability 0.5) at an NCC of 0.3, 10 per unit of NCC (choice).
  scale = register_parameter("scale", torch::full({1}, 10.0));
  offset = register_parameter("offset", torch::full({1}, 0.3));
  project = register_module("project", nn::Linear(int64_t{o.channels} * o.cells * o.cells, o.dim));
  nn::ModuleList layers;
  for (int i = 0; i < o.layers; ++i) layers->push_back(CrossFusionLayer(o.dim));
  fusion = register_module("fusion", layers);
  finalNorm = register_module("final_norm", nn::LayerNorm(nn::LayerNormOptions({o.dim})));
  bilinear = register_parameter("bilinear", torch::zeros({o.dim, o.dim}));
}

void CrossFusionHeadImpl::resetResidual() {
  torch::NoGradGuard noGrad;
  bilinear.zero_();
  for (const auto& layer : *fusion) layer->as<CrossFusionLayer>()->resetResidual();
}

torch::Tensor CrossFusionHeadImpl::forward(const torch::Tensor& blocksA, const torch::Tensor& positionsA, const torch::Tensor& blocksB,
                                           const torch::Tensor& positionsB, const torch::Tensor& candidates) {
  const auto ncc = blocksA.matmul(blocksB.t());
  auto a = project->forward(blocksA) + positionalEncoding(positionsA, options.dim);
  auto b = project->forward(blocksB) + positionalEncoding(positionsB, options.dim);
  for (const auto& layer : *fusion) std::tie(a, b) = layer->as<CrossFusionLayer>()->forward(a, b);
  // Symmetric, so that swapping the tiles transposes the matrix.
  const auto form = 0.5 * (bilinear + bilinear.t());
  auto logits = scale * (ncc - offset) + finalNorm->forward(a).matmul(form).matmul(finalNorm->forward(b).t()) / options.dim;
  if (candidates.defined()) logits = logits.masked_fill(candidates.logical_not(), -std::numeric_limits<float>::infinity());
  return logits;
}

void saveCrossFusionHead(CrossFusionHead& net, const std::string& path) {
  const auto& o = net->options;
  saveWithArchitecture(*net, {o.channels, o.block, o.cells, o.dim, o.layers}, path);
}

CrossFusionHead loadCrossFusionHead(const std::string& path, const torch::Device& device) {
  return loadWithArchitecture<CrossFusionHead>(
      path, device, "cross-fusion head",
      "pass the .pt file that mmreg_train_cross_fusion wrote, or the shipped models/cross_fusion_head.pt",
      [](const std::vector<int64_t>& v) {
        if (v.size() != 5) throw c10::Error({__func__, __FILE__, static_cast<uint32_t>(__LINE__)}, "not a cross-fusion head's architecture");
        CrossFusionHeadOptions o;
        o.channels = static_cast<int>(v[0]), o.block = static_cast<int>(v[1]), o.cells = static_cast<int>(v[2]);
        o.dim = static_cast<int>(v[3]), o.layers = static_cast<int>(v[4]);
        return CrossFusionHead(o);
      });
}

torch::Tensor mutualMatches(const torch::Tensor& matrix, double threshold) {
  if (matrix.numel() == 0) return torch::zeros({0, 3});
  const auto s = matrix.to(torch::kCPU).to(torch::kFloat);
  const auto bestB = std::get<1>(s.max(1));  // for each row, its best column
  const auto bestA = std::get<1>(s.max(0));  // for each column, its best row
  std::vector<float> rows;
  const auto ba = bestB.accessor<int64_t, 1>(), aa = bestA.accessor<int64_t, 1>();
  const auto sa = s.accessor<float, 2>();
  for (int64_t i = 0; i < s.size(0); ++i) {
    const int64_t j = ba[i];
    if (aa[j] == i && sa[i][j] >= threshold) rows.insert(rows.end(), {static_cast<float>(i), static_cast<float>(j), sa[i][j]});
  }
  if (rows.empty()) return torch::zeros({0, 3});
  auto out = torch::tensor(rows).view({-1, 3});
  return out.index_select(0, std::get<1>(out.select(1, 2).sort(0, true)));
}

}  // namespace mmreg::nets
