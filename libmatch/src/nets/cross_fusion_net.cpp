#include "nets/cross_fusion_net.h"

#include <cmath>

#include "mmreg/error.h"

namespace mmreg::nets {

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

CrossAttentionImpl::CrossAttentionImpl(int64_t dim) {
  q = register_module("q", torch::nn::Linear(dim, dim));
  k = register_module("k", torch::nn::Linear(dim, dim));
  v = register_module("v", torch::nn::Linear(dim, dim));
  out = register_module("out", torch::nn::Linear(dim, dim));
  ff1 = register_module("ff1", torch::nn::Linear(dim, 2 * dim));
  ff2 = register_module("ff2", torch::nn::Linear(2 * dim, dim));
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
}

torch::Tensor CrossAttentionImpl::attend(const torch::Tensor& x, const torch::Tensor& other) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(x.size(-1)));
  const auto attention = torch::softmax(q->forward(x).matmul(k->forward(other).t()) * scale, -1);
  const auto fused = norm1->forward(x + out->forward(attention.matmul(v->forward(other))));
  return norm2->forward(fused + ff2->forward(torch::relu(ff1->forward(fused))));
}

std::pair<torch::Tensor, torch::Tensor> CrossAttentionImpl::forward(const torch::Tensor& a, const torch::Tensor& b) {
  return {attend(a, b), attend(b, a)};  // both directions from the same inputs: order-free
}

namespace {

constexpr int64_t kLayoutCells = 6;

int64_t channels(double base, double mult) { return std::max<int64_t>(8, static_cast<int64_t>(std::lround(base * mult))); }

// 3x3 conv + BN + ReLU, then 2x2 max-pooling.
void addBlock(torch::nn::Sequential& s, int64_t in, int64_t out) {
  s->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  s->push_back(torch::nn::BatchNorm2d(out));
  s->push_back(torch::nn::ReLU());
  s->push_back(torch::nn::MaxPool2d(2));
}

}  // namespace

CrossFusionNetImpl::CrossFusionNetImpl(const CrossFusionOptions& o) : options(o) {
  // Patch encoder (choice: the paper gives no layers): four conv blocks halving the patch each
  // time, then the map pooled to 6 x 6 cells (a 96 px patch's map already is) and flattened, or
  // averaged to one cell, and a linear map to the descriptor size.
  const double m = o.widthMultiplier;
  const int64_t c1 = channels(32, m), c2 = channels(64, m), c3 = channels(128, m), c4 = channels(256, m);
  torch::nn::Sequential e;
  addBlock(e, 1, c1);
  addBlock(e, c1, c2);
  addBlock(e, c2, c3);
  addBlock(e, c3, c4);
  const int64_t cells = o.keepLayout ? kLayoutCells : 1;
  e->push_back(torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(cells)));
  e->push_back(torch::nn::Flatten());
  e->push_back(torch::nn::Linear(c4 * cells * cells, o.dim));
  encoder = register_module("encoder", e);
  torch::nn::ModuleList layers;
  for (int64_t i = 0; i < o.layers; ++i) layers->push_back(CrossAttention(o.dim));
  fusion = register_module("fusion", layers);
  // Matching head (choice): dense layers on |a - b| and a * b, both symmetric in a and b, so
  // swapping the tiles transposes the matrix.
  head = register_module("head", torch::nn::Sequential(torch::nn::Linear(2 * o.dim, o.dim), torch::nn::ReLU(),
                                                       torch::nn::Linear(o.dim, 1)));
}

std::pair<torch::Tensor, torch::Tensor> CrossFusionNetImpl::encode(const torch::Tensor& patchesA, const torch::Tensor& patchesB) {
  // One encoder pass over both sides, so that batch normalisation in training sees the same
  // mix of the two tiles that its running statistics hold at inference.
  auto both = torch::cat({patchesA, patchesB});
  if (options.standardizePatches) {
    const auto mean = both.mean({1, 2, 3}, true), sd = both.std({1, 2, 3}, false, true);
    both = (both - mean) / (sd + 1e-3);
  }
  const auto encoded = encoder->forward(both);
  return {encoded.slice(0, 0, patchesA.size(0)), encoded.slice(0, patchesA.size(0))};
}

std::pair<torch::Tensor, torch::Tensor> CrossFusionNetImpl::fuse(torch::Tensor a, const torch::Tensor& positionsA, torch::Tensor b,
                                                                 const torch::Tensor& positionsB) {
  if (options.positional) a = a + positionalEncoding(positionsA, options.dim), b = b + positionalEncoding(positionsB, options.dim);
  for (const auto& layer : *fusion) std::tie(a, b) = layer->as<CrossAttention>()->forward(a, b);
  return {a, b};
}

std::pair<torch::Tensor, torch::Tensor> CrossFusionNetImpl::descriptors(const torch::Tensor& patchesA, const torch::Tensor& positionsA,
                                                                        const torch::Tensor& patchesB, const torch::Tensor& positionsB) {
  const auto [a, b] = encode(patchesA, patchesB);
  return fuse(a, positionsA, b, positionsB);
}

torch::Tensor CrossFusionNetImpl::forward(const torch::Tensor& patchesA, const torch::Tensor& positionsA,
                                          const torch::Tensor& patchesB, const torch::Tensor& positionsB, const torch::Tensor& candidates) {
  const auto [a, b] = descriptors(patchesA, positionsA, patchesB, positionsB);
  return score(a, b, candidates);
}

torch::Tensor CrossFusionNetImpl::score(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& candidates) {
  const int64_t n = a.size(0), m = b.size(0);
  if (candidates.defined()) {
    const auto idx = candidates.nonzero();  // (K, 2): row, column
    auto out = torch::zeros({n * m}, a.options());
    const int64_t block = int64_t{1} << 14;
    for (int64_t k0 = 0; k0 < idx.size(0); k0 += block) {
      const auto part = idx.slice(0, k0, std::min(idx.size(0), k0 + block));
      const auto ea = a.index_select(0, part.select(1, 0)), eb = b.index_select(0, part.select(1, 1));
      const auto s = torch::sigmoid(head->forward(torch::cat({(ea - eb).abs(), ea * eb}, -1)).squeeze(-1));
      out.index_put_({part.select(1, 0) * m + part.select(1, 1)}, s);
    }
    return out.view({n, m});
  }
  const int64_t rows = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, m * options.dim));  // ~16 M floats a block
  std::vector<torch::Tensor> blocks;
  for (int64_t r0 = 0; r0 < n; r0 += rows) {
    const auto ar = a.slice(0, r0, std::min(n, r0 + rows));
    const auto ea = ar.unsqueeze(1).expand({ar.size(0), m, options.dim}), eb = b.unsqueeze(0).expand({ar.size(0), m, options.dim});
    const auto pair = torch::cat({(ea - eb).abs(), ea * eb}, -1);  // (rows, M, 2 dim)
    blocks.push_back(torch::sigmoid(head->forward(pair).squeeze(-1)));
  }
  return blocks.empty() ? torch::zeros({0, m}, a.options()) : torch::cat(blocks, 0);
}

torch::Tensor patchesAt(const torch::Tensor& image, const torch::Tensor& centres, int64_t p) {
  const auto padded = F::pad(image, F::PadFuncOptions({p / 2, p / 2, p / 2, p / 2}));
  const auto c = centres.to(torch::kCPU).to(torch::kFloat).contiguous();
  const auto a = c.accessor<float, 2>();
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < c.size(0); ++i) {
    // Top-left at round(centre - p/2), shifted by the padding.
    const int64_t x0 = std::lround(a[i][0] - p / 2.0) + p / 2, y0 = std::lround(a[i][1] - p / 2.0) + p / 2;
    out.push_back(padded.slice(2, y0, y0 + p).slice(3, x0, x0 + p));
  }
  return out.empty() ? torch::zeros({0, 1, p, p}, image.options()) : torch::cat(out);
}

void saveMatcher(CrossFusionNet& net, const std::string& path) {
  torch::serialize::OutputArchive archive;
  // Floating-point tensors as 16-bit floats: the shipped file stays a few MB (2.85 M parameters).
  for (const auto& t : net->named_parameters()) archive.write(t.key(), t.value().detach().to(torch::kHalf));
  for (const auto& t : net->named_buffers())
    archive.write(t.key(), t.value().is_floating_point() ? t.value().to(torch::kHalf) : t.value(), /*is_buffer=*/true);
  const auto& o = net->options;
  archive.write("options", torch::tensor({static_cast<double>(o.patchSize), static_cast<double>(o.dim), static_cast<double>(o.layers),
                                          o.widthMultiplier, o.positional ? 1.0 : 0.0, o.keepLayout ? 1.0 : 0.0,
                                          o.standardizePatches ? 1.0 : 0.0},
                                         torch::kDouble));
  try {
    archive.save_to(path);
  } catch (const c10::Error& e) {
    throw Error("cannot write the matcher weights to '" + path + "': " + e.what_without_backtrace());
  }
}

CrossFusionNet loadMatcher(const std::string& path, const torch::Device& device) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::Tensor saved;
    archive.read("options", saved);
    const auto v = saved.to(torch::kCPU).contiguous();
    const auto a = v.accessor<double, 1>();
    CrossFusionOptions o;
    o.patchSize = static_cast<int64_t>(a[0]), o.dim = static_cast<int64_t>(a[1]), o.layers = static_cast<int64_t>(a[2]);
    o.widthMultiplier = a[3];
    o.positional = v.size(0) < 5 || a[4] != 0;  // files from before the flag used the encoding
    o.keepLayout = v.size(0) >= 6 && a[5] != 0;  // and averaged the encoder's map
    o.standardizePatches = v.size(0) >= 7 && a[6] != 0;
    CrossFusionNet net(o);
    torch::NoGradGuard noGrad;
    torch::Tensor probe;
    if (!archive.try_read(net->named_parameters().begin()->key(), probe)) {
      net->load(archive);  // the nested 32-bit layout of Module::save (files written before 2026-11-23)
      net->to(device);
      net->eval();
      return net;
    }
    for (auto& t : net->named_parameters()) {
      torch::Tensor saved;
      archive.read(t.key(), saved);
      t.value().copy_(saved);  // back to 32-bit floats
    }
    for (auto& t : net->named_buffers()) {
      torch::Tensor saved;
      archive.read(t.key(), saved, /*is_buffer=*/true);
      t.value().copy_(saved);
    }
    net->to(device);
    net->eval();
    return net;
  } catch (const c10::Error& e) {
    throw Error("cannot load matcher weights from '" + path + "' (" + e.what_without_backtrace() +
                "); pass the .pt file that mmreg_train_matcher wrote, or the shipped models/matcher.pt");
  }
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
