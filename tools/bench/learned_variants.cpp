#include "learned_variants.h"

#include <cmath>
#include <memory>
#include <regex>

#include "features/area_refinement.h"
#include "mmreg/learned_models.h"
#include "nets/learned_matcher.h"
#include "nets/patch_verifier.h"
#include "nets/torch_support.h"
#include "training/patch_pairs.h"

namespace bench {
namespace {

class VerifiedMatcher : public mmreg::TileMatcher {
 public:
  VerifiedMatcher(const mmreg::LearnedModelOptions& o, std::shared_ptr<const mmreg::Detector> keypoints)
      : inner_(o, std::move(keypoints)),
        verifier_(mmreg::nets::loadVerifier(mmreg::nets::weightsPath("", "verifier.pt", "patch verifier", "", "mmreg_train_verifier"),
                                            torch::kCPU)) {}
  std::string name() const override { return "learned-verified"; }

  std::vector<mmreg::TileMatch> match(const mmreg::Image& ref, const mmreg::Image& sen, int margin) const override {
    const auto matches = mmreg::refineMatches(ref, sen, margin, inner_.match(ref, sen, margin));
    if (matches.empty()) return {};
    torch::NoGradGuard noGrad;
    const auto d = mmreg::training::describePair(mmreg::StructuralDenseFeatures(), ref, sen, mmreg::Modality::Optical);
    const int p = verifier_->options.patch;
    std::vector<torch::Tensor> a, b;
    std::vector<size_t> which;
    std::vector<mmreg::TileMatch> out;
    auto fits = [&](const torch::Tensor& t, int x0, int y0) { return x0 >= 0 && y0 >= 0 && x0 + p <= t.size(2) && y0 + p <= t.size(1); };
    for (size_t i = 0; i < matches.size(); ++i) {
      const auto& m = matches[i];
      const int rx = static_cast<int>(std::lround(m.ref.x)) - p / 2, ry = static_cast<int>(std::lround(m.ref.y)) - p / 2;
      const int sx = static_cast<int>(std::lround(m.sensed.x)) + margin - p / 2, sy = static_cast<int>(std::lround(m.sensed.y)) + margin - p / 2;
      if (!fits(d.reference, rx, ry) || !fits(d.sensed, sx, sy)) {
        out.push_back(m);  // too near the edge to judge: kept, as the refinement keeps it
        continue;
      }
      a.push_back(d.reference.slice(1, ry, ry + p).slice(2, rx, rx + p));
      b.push_back(d.sensed.slice(1, sy, sy + p).slice(2, sx, sx + p));
      which.push_back(i);
    }
    if (which.empty()) return out;
    const auto logits = verifier_->forward(torch::stack(a), torch::stack(b));
    for (size_t k = 0; k < which.size(); ++k)
      if (logits[static_cast<int64_t>(k)].item<float>() >= 0) out.push_back(matches[which[k]]);
    return out;
  }

 private:
  mmreg::nets::LearnedMatcher inner_;
  mutable mmreg::nets::PatchVerifier verifier_{nullptr};
};

int gridStep(const std::string& variant) {
  std::smatch m;
  return std::regex_match(variant, m, std::regex("grid([1-9][0-9]?)")) ? std::stoi(m[1]) : 0;
}

}  // namespace

bool isLearnedVariant(const std::string& variant) { return variant == "verified" || gridStep(variant) > 0; }

void useLearnedVariant(const std::string& variant) {
  mmreg::registerLearnedModels();  // the plain learned matcher
  if (variant == "verified")
    mmreg::registerTileMatcher("learned", [](const mmreg::LearnedModelOptions& o, std::shared_ptr<const mmreg::Detector> keypoints) {
      return std::make_unique<VerifiedMatcher>(o, std::move(keypoints));
    });
  if (const int step = gridStep(variant))
    mmreg::registerTileMatcher("learned", [step](const mmreg::LearnedModelOptions& o, std::shared_ptr<const mmreg::Detector> keypoints) {
      return std::make_unique<mmreg::nets::LearnedMatcher>(o, std::move(keypoints), step);
    });
}

}  // namespace bench
