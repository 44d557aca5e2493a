#pragma once
// How well dense features locate templates across two aligned images with no misregistration
// at all: the measure of mmreg_bench_features and of the backbone trainer's validation.
#include <opencv2/core.hpp>
#include <vector>

namespace mmreg {

struct TemplateHits {
  int templates = 0;  // templates with any structure (a positive NCC peak)
  int within = 0;     // of those, peaks within the tolerance of the truth
  std::vector<cv::Point> offsets;  // each counted template's peak offset from the truth, px
};

// Templates of `side` px of `ref` on a grid (step side / 3), each searched +-radius px in `sensed`
// by the area matcher's multi-channel NCC.
TemplateHits templateHits(const std::vector<cv::Mat>& ref, const std::vector<cv::Mat>& sensed, int side, int radius, double tolerance);

}  // namespace mmreg
