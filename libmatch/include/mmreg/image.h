#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mmreg {

// A single-band float image in row-major order, with an optional validity mask.
// Plain storage so that public interfaces need no OpenCV or GDAL types.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<float> pixels;         // width*height values
  std::vector<std::uint8_t> valid;   // width*height flags (1 valid); empty means all valid

  Image() = default;
  Image(int w, int h, float fill = 0.f) : width(w), height(h), pixels(static_cast<size_t>(w) * h, fill) {}

  bool empty() const { return width <= 0 || height <= 0; }
  float& at(int x, int y) { return pixels[static_cast<size_t>(y) * width + x]; }
  float at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
  bool isValid(int x, int y) const { return valid.empty() || valid[static_cast<size_t>(y) * width + x] != 0; }
  double validFraction() const;
};

}  // namespace mmreg
