#include "training/training_data.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "mmreg/datasets.h"
#include "mmreg/error.h"
#include "mmreg/preprocess.h"
#include "mmreg/raster.h"
#include "mmreg/splits.h"

namespace mmreg::training {

namespace F = torch::nn::functional;

std::vector<LoadedPair> inGroups(std::vector<LoadedPair> pairs, const std::string& names) {
  const std::string wanted = "," + names + ",";
  pairs.erase(std::remove_if(pairs.begin(), pairs.end(), [&](const LoadedPair& p) { return wanted.find("," + p.group + ",") == std::string::npos; }),
              pairs.end());
  return pairs;
}

std::vector<LoadedPair> validationGroups(std::vector<LoadedPair> val, const std::string& names) {
  if (names.empty()) return val;
  val = inGroups(std::move(val), names);
  if (val.empty())
    throw Error("no validation pair is in --val-groups " + names + "; name groups of the validation split as source/group, e.g. 3mos/RCM");
  return val;
}

std::string groupNames(const std::vector<LoadedPair>& pairs) {
  std::set<std::string> groups;
  for (const auto& p : pairs) groups.insert(p.group);
  std::string out;
  for (const auto& g : groups) out += (out.empty() ? "" : ",") + g;
  return out;
}

mmreg::Image toImage(const torch::Tensor& t, const torch::Tensor& valid) {
  const auto c = t.to(torch::kCPU).contiguous();
  mmreg::Image img(static_cast<int>(c.size(3)), static_cast<int>(c.size(2)));
  std::copy_n(c.data_ptr<float>(), img.pixels.size(), img.pixels.begin());
  if (valid.defined()) {
    const auto v = (valid.to(torch::kCPU).contiguous() > 0.5).to(torch::kUInt8);
    img.valid.assign(v.data_ptr<std::uint8_t>(), v.data_ptr<std::uint8_t>() + img.pixels.size());
  }
  return img;
}

torch::Tensor randomHomography(std::mt19937& rng, int size, double maxPerspective, double maxRotation, double maxScale,
                               double maxShift) {
  std::uniform_real_distribution<double> u(-1, 1);
  const double c = size / 2.0, a = maxRotation * u(rng), s = 1 + maxScale * u(rng);
  const double tx = maxShift * size * u(rng), ty = maxShift * size * u(rng);
  const double px = maxPerspective * u(rng), py = maxPerspective * u(rng);
  const auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  auto t = [&](double x, double y) { return torch::tensor({1.0, 0.0, x, 0.0, 1.0, y, 0.0, 0.0, 1.0}, f64).view({3, 3}); };
  const auto rs =
      torch::tensor({s * std::cos(a), -s * std::sin(a), 0.0, s * std::sin(a), s * std::cos(a), 0.0, px, py, 1.0}, f64).view({3, 3});
  return t(c + tx, c + ty).matmul(rs).matmul(t(-c, -c));
}

std::pair<torch::Tensor, torch::Tensor> gridFor(const torch::Tensor& h, int size) {
  const auto r = torch::arange(size, torch::kDouble);
  const auto yy = r.view({size, 1}).expand({size, size}), xx = r.view({1, size}).expand({size, size});
  const auto p = torch::stack({xx, yy, torch::ones_like(xx)}, -1).view({-1, 3}).matmul(h.t());
  const auto x = p.select(1, 0) / p.select(1, 2), y = p.select(1, 1) / p.select(1, 2);
  const auto inside = (x >= 0) & (x <= size - 1) & (y >= 0) & (y <= size - 1);
  const auto grid = torch::stack({x * (2.0 / (size - 1)) - 1, y * (2.0 / (size - 1)) - 1}, -1).view({1, size, size, 2});
  return {grid.to(torch::kFloat), inside.view({1, 1, size, size}).to(torch::kFloat)};
}

torch::Tensor modalityChange(torch::Tensor x, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng) < 0.5) x = x.clamp_min(1e-4).pow(std::exp(1.2 * (u(rng) - 0.5)));
  if (u(rng) < 0.3) x = 1 - x;
  if (u(rng) < 0.3) x = x * (-torch::rand_like(x).clamp_min(1e-6).log());  // one-look intensity speckle
  if (u(rng) < 0.3) x = F::avg_pool2d(F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate)), F::AvgPool2dFuncOptions(3).stride(1));
  return x.clamp(0, 3);
}

namespace {

torch::Tensor loadWindow(const mmreg::ImageWindowRef& w, mmreg::Modality m) {
  const auto r = mmreg::GeoRaster::open(w.path);
  const mmreg::PixelWindow win{w.window.x, w.window.y, w.window.width ? w.window.width : r.width(),
                               w.window.height ? w.window.height : r.height()};
  std::vector<mmreg::Image> bands;
  for (int b : w.bands.empty() ? std::vector<int>{1} : w.bands) bands.push_back(r.readWindow(b, win, win.width, win.height));
  const auto img = mmreg::preprocess(mmreg::combineBands(bands), m);
  return torch::from_blob(const_cast<float*>(img.pixels.data()), {1, 1, img.height, img.width}, torch::kFloat).clone();
}

std::vector<LoadedPair> loadPairs(const std::vector<mmreg::AlignedPair>& pairs, int crop) {
  std::vector<LoadedPair> out;
  for (const auto& p : pairs) {
    const bool sar = p.source == "3mos" || p.source == "s1s2";
    LoadedPair l{loadWindow(p.reference, mmreg::Modality::Optical), loadWindow(p.sensed, sar ? mmreg::Modality::Sar : mmreg::Modality::Optical),
                 p.source + "/" + p.group, sar};
    if (l.reference.sizes() != l.sensed.sizes() || l.reference.size(2) < crop || l.reference.size(3) < crop) continue;
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

std::pair<std::vector<LoadedPair>, std::vector<LoadedPair>> loadTrainingSets(const std::string& dataDir, const std::string& splitsFile,
                                                                             int maxPairs, int minSide) {
  std::vector<AlignedPair> trainList, valList;
  const auto spec = loadSplits(splitsFile);
  for (const auto& p : loadAll(dataDir)) {
    const auto& t = p.sensedToReference;
    if (!(t[0] == 1 && t[1] == 0 && t[2] == 0 && t[3] == 0 && t[4] == 1 && t[5] == 0)) continue;  // pixel-aligned only
    const std::string s = splitOf(p, spec);
    if (s == "train") trainList.push_back(p);
    else if (s == "validation") valList.push_back(p);
  }
  if (maxPairs > 0 && static_cast<int>(trainList.size()) > maxPairs) trainList.resize(maxPairs);
  return {loadPairs(trainList, minSide), loadPairs(valList, minSide)};
}

}  // namespace mmreg::training
