#pragma once
// Dense per-pixel descriptors that the area matcher correlates: the structural channels, or a
// learned backbone on top of them (registered at run time by registerLearnedModels()).
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "mmreg/features.h"
#include "mmreg/preprocess.h"

namespace mmreg {

class DenseFeatures {
 public:
  virtual ~DenseFeatures() = default;
  virtual std::string name() const = 0;
  // CV_32F channels of the image's size, all zero at invalid pixels. Safe to call from several
  // threads at once.
  virtual std::vector<cv::Mat> compute(const Image& image) const = 0;
  // The same for an image known to be of `modality`: a backbone with a SAR stem of its own uses
  // it on SAR. The matchers pass each side's modality (SideModalities).
  virtual std::vector<cv::Mat> computeFor(const Image& image, Modality) const { return compute(image); }
};

// What each side of a pair is, for computeFor.
struct SideModalities {
  Modality reference = Modality::Optical, sensed = Modality::Optical;
};

// structuralFeatures() behind the interface.
class StructuralDenseFeatures : public DenseFeatures {
 public:
  std::string name() const override { return "structural"; }
  std::vector<cv::Mat> compute(const Image& image) const override;
};

// "structural", or a registered name ("learned": the backbone of models/backbone.pt, or of
// options.featureWeights). Throws mmreg::Error listing the known names otherwise.
std::shared_ptr<const DenseFeatures> makeDenseFeatures(const std::string& name, const LearnedModelOptions& options = {});
using DenseFeaturesFactory = std::function<std::shared_ptr<const DenseFeatures>(const LearnedModelOptions&)>;
void registerDenseFeatures(const std::string& name, DenseFeaturesFactory factory);

}  // namespace mmreg
