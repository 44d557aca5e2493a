#include "nets/detection_net.h"

#include <cmath>

#include "mmreg/error.h"

namespace mmreg::nets {

namespace F = torch::nn::functional;

ConvBnReluImpl::ConvBnReluImpl(int64_t in, int64_t out) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(out));
}
torch::Tensor ConvBnReluImpl::forward(const torch::Tensor& x) { return torch::relu(bn->forward(conv->forward(x))); }

SeparableConvImpl::SeparableConvImpl(int64_t in, int64_t out) {
  depthwise = register_module("depthwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, in, 3).padding(1).groups(in).bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(in));
  pointwise = register_module("pointwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false)));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
}
torch::Tensor SeparableConvImpl::forward(const torch::Tensor& x) {
  return torch::relu(bn2->forward(pointwise->forward(torch::relu(bn1->forward(depthwise->forward(x))))));
}

torch::Tensor peakiness(const torch::Tensor& y) {
  const auto beta = F::softplus(y - y.mean(1, true));
  const auto padded = F::pad(y, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  const auto local = F::avg_pool2d(padded, F::AvgPool2dFuncOptions(3).stride(1));
  const auto alpha = F::softplus(y - local);
  return std::get<0>((alpha * beta).max(1, true));
}

namespace {

int64_t width(double base, double mult) { return std::max<int64_t>(8, static_cast<int64_t>(std::lround(base * mult))); }

// A map divided by its per-image maximum, so the three stages are fused on one scale (choice:
// the paper does not say how gamma is scaled).
torch::Tensor unitPeak(const torch::Tensor& g) {
  const auto peak = std::get<0>(g.flatten(1).max(1)).view({-1, 1, 1, 1});
  return g / (peak + 1e-12);
}

constexpr int64_t kStride = 8, kSubPixelChannels = 8;

}  // namespace

DetectionNetImpl::DetectionNetImpl(const DetectionNetOptions& o) : options(o) {
  const double m = o.widthMultiplier;
  const int64_t w0 = width(64, m), w1 = width(128, m), w2 = width(256, m), w3 = width(512, m), wd = width(128, m);
  conv0 = register_module("conv0", ConvBnRelu(o.inChannels, w0));
  conv1 = register_module("conv1", ConvBnRelu(w0, w0));
  // Choice of layer counts (the paper gives the names SConv-0..20 and the widths, not the
  // split): SConv-0..1 at 1/2, SConv-2..4 at 1/4, SConv-5..8 at 1/8; then SConv-9..11 three
  // times (9..17) and SConv-18..20, all at 1/8.
  torch::nn::Sequential a;
  a->push_back(torch::nn::MaxPool2d(2));
  a->push_back(SeparableConv(w0, w1));
  a->push_back(SeparableConv(w1, w1));
  a->push_back(torch::nn::MaxPool2d(2));
  a->push_back(SeparableConv(w1, w2));
  a->push_back(SeparableConv(w2, w2));
  a->push_back(SeparableConv(w2, w2));
  a->push_back(torch::nn::MaxPool2d(2));
  a->push_back(SeparableConv(w2, w3));
  for (int i = 0; i < 3; ++i) a->push_back(SeparableConv(w3, w3));
  sconv0to8 = register_module("sconv0to8", a);
  torch::nn::Sequential b;
  for (int i = 0; i < 12; ++i) b->push_back(SeparableConv(w3, w3));
  sconv9to20 = register_module("sconv9to20", b);
  dcn0 = register_module("dcn0", DeformConv2d(w3, wd));
  dcn1 = register_module("dcn1", DeformConv2d(wd, wd));
  dcn2 = register_module("dcn2", DeformConv2d(wd, wd));
  if (o.subPixel) {
    const std::array<int64_t, 3> in{w3, w3, wd};
    for (int i = 0; i < 3; ++i)
      upsample[i] = register_module("upsample" + std::to_string(i),
                                    torch::nn::Conv2d(torch::nn::Conv2dOptions(in[i], kSubPixelChannels * kStride * kStride, 1)));
  }
}

// A stage's gamma at the input size h x w.
torch::Tensor DetectionNetImpl::stageScore(int stage, const torch::Tensor& y, int64_t h, int64_t w) {
  if (!options.subPixel)
    return unitPeak(F::interpolate(peakiness(y), F::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{h, w})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false)));
  // The encoder floors at every pooling: the shuffled map covers 8 * floor(h / 8) rows; the
  // last few rows and columns repeat the edge.
  const auto full = F::pixel_shuffle(upsample[stage]->forward(y), kStride);
  const auto padded = F::pad(full, F::PadFuncOptions({0, w - full.size(3), 0, h - full.size(2)}).mode(torch::kReplicate));
  return unitPeak(peakiness(padded));
}

DetectionOutput DetectionNetImpl::forward(const torch::Tensor& image) {
  const int64_t h = image.size(2), w = image.size(3);
  const auto s8 = sconv0to8->forward(conv1->forward(conv0->forward(image)));
  const auto s20 = sconv9to20->forward(s8);
  const auto d2 = dcn2->forward(torch::relu(dcn1->forward(torch::relu(dcn0->forward(s20)))));
  DetectionOutput out;
  out.stages = {stageScore(0, s8, h, w), stageScore(1, s20, h, w), stageScore(2, d2, h, w)};
  out.score = options.fusion[0] * out.stages[0] + options.fusion[1] * out.stages[1] + options.fusion[2] * out.stages[2];
  return out;
}

torch::Tensor selectKeypoints(const torch::Tensor& score, double threshold, int radius, int maxPoints) {
  const auto s = score.squeeze().to(torch::kCPU).contiguous();  // (H, W)
  const int k = 2 * radius + 1;
  const auto localMax = F::max_pool2d(s.unsqueeze(0).unsqueeze(0), F::MaxPool2dFuncOptions(k).stride(1).padding(radius)).squeeze();
  const auto idx = ((s == localMax) & (s >= threshold)).nonzero();  // (N, 2): y, x
  if (idx.size(0) == 0 || maxPoints <= 0) return torch::zeros({0, 3});
  const auto values = s.index({idx.select(1, 0), idx.select(1, 1)});
  const auto order = std::get<1>(values.sort(0, true));
  // Local maxima can tie on a plateau: keep the first of those within the radius of another.
  const auto ia = idx.accessor<int64_t, 2>();
  const auto va = values.accessor<float, 1>();
  const auto oa = order.accessor<int64_t, 1>();
  std::vector<float> out;
  for (int64_t n = 0; n < order.size(0) && static_cast<int>(out.size() / 3) < maxPoints; ++n) {
    const int64_t i = oa[n];
    const float y = static_cast<float>(ia[i][0]), x = static_cast<float>(ia[i][1]);
    bool apart = true;
    for (size_t m = 0; m < out.size() && apart; m += 3) apart = std::max(std::abs(out[m] - x), std::abs(out[m + 1] - y)) > radius;
    if (apart) out.insert(out.end(), {x, y, va[i]});
  }
  return torch::tensor(out).view({-1, 3});
}

torch::Tensor cornerResponse(const torch::Tensor& image) {
  const auto x = image.to(torch::kFloat);
  const auto kx = torch::tensor({-1.f, 0.f, 1.f, -2.f, 0.f, 2.f, -1.f, 0.f, 1.f}, x.options()).view({1, 1, 3, 3}) / 8;
  const auto padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  const auto gx = F::conv2d(padded, kx), gy = F::conv2d(padded, kx.transpose(2, 3));
  const auto box = [](const torch::Tensor& t) {
    return F::avg_pool2d(t, F::AvgPool2dFuncOptions(7).stride(1).padding(3).count_include_pad(false));
  };
  const auto a = box(gx * gx), b = box(gx * gy), c = box(gy * gy);
  return ((a + c) / 2 - torch::sqrt(((a - c) / 2).pow(2) + b.pow(2))).squeeze(0).squeeze(0);
}

torch::Tensor relocateToCorners(const torch::Tensor& image, const torch::Tensor& keypoints, int radius, const torch::Tensor& valid) {
  if (keypoints.size(0) == 0) return keypoints;
  auto response = cornerResponse(image.cpu());
  if (valid.defined()) response = response.masked_fill(valid.cpu().view(response.sizes()) <= 0, -1);  // never onto invalid pixels
  response = response.contiguous();
  const auto r = response.accessor<float, 2>();
  const int64_t h = response.size(0), w = response.size(1);
  const auto in = keypoints.to(torch::kCPU).contiguous();
  const auto k = in.accessor<float, 2>();
  std::vector<float> kept;  // x, y, score of the keypoints kept so far, strongest first
  for (int64_t i = 0; i < in.size(0); ++i) {
    const int64_t cx = std::lround(k[i][0]), cy = std::lround(k[i][1]);
    float best = -1, bx = k[i][0], by = k[i][1];
    for (int64_t y = std::max<int64_t>(0, cy - radius); y <= std::min(h - 1, cy + radius); ++y)
      for (int64_t x = std::max<int64_t>(0, cx - radius); x <= std::min(w - 1, cx + radius); ++x)
        if (r[y][x] > best) best = r[y][x], bx = static_cast<float>(x), by = static_cast<float>(y);
    bool free = true;
    for (size_t j = 0; j < kept.size() && free; j += 3) free = std::hypot(kept[j] - bx, kept[j + 1] - by) > radius;
    if (free) kept.insert(kept.end(), {bx, by, k[i][2]});
  }
  return torch::tensor(kept).view({-1, 3});
}

void saveDetector(DetectionNet& net, const std::string& path) {
  torch::serialize::OutputArchive archive;
  net->save(archive);
  archive.write("width_multiplier", torch::tensor(net->options.widthMultiplier, torch::kDouble));
  archive.write("sub_pixel", torch::tensor(net->options.subPixel ? 1 : 0, torch::kInt));
  try {
    archive.save_to(path);
  } catch (const c10::Error& e) {
    throw Error("cannot write the detector weights to '" + path + "': " + e.what_without_backtrace());
  }
}

DetectionNet loadDetector(const std::string& path, const torch::Device& device) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::Tensor width;
    archive.read("width_multiplier", width);
    DetectionNetOptions o;
    o.widthMultiplier = width.item<double>();
    torch::Tensor subPixel;
    o.subPixel = archive.try_read("sub_pixel", subPixel) && subPixel.item<int>() != 0;
    DetectionNet net(o);
    net->load(archive);
    net->to(device);
    net->eval();
    return net;
  } catch (const c10::Error& e) {
    throw Error("cannot load detector weights from '" + path + "' (" + e.what_without_backtrace() +
                "); pass the .pt file that mmreg_train_detector wrote, or the shipped models/detector.pt");
  }
}

}  // namespace mmreg::nets
