#pragma once
// Geometric models mapping sensed pixels to reference pixels, fitted by least squares.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "mmreg/geometry.h"

namespace mmreg {

enum class ModelType { Auto, Translation, Similarity, Affine, Projective, Poly2, Poly3, Tps };
const char* modelName(ModelType t);
bool parseModelType(const std::string& text, ModelType* out);
// Points a least-squares fit needs at the very least (the minimal sample).
int minimalSampleSize(ModelType t);
// Inliers a model needs before it can be trusted: two per parameter and four more (TPS counts
// as affine, its gate).
int minimumInliers(ModelType t);

class Transform2D {
 public:
  virtual ~Transform2D() = default;
  virtual ModelType type() const = 0;
  virtual Point2 apply(Point2 p) const = 0;
  virtual std::vector<double> parameters() const = 0;
  virtual std::unique_ptr<Transform2D> clone() const = 0;
  // Translation, similarity and affine models are exactly a 2x3 matrix.
  bool isAffine() const;
  // [a b c; d e f]: x' = a x + b y + c, y' = d x + e y + f. Only valid when isAffine().
  virtual std::array<double, 6> affineMatrix() const;
  // Points through which the model is defined (TPS centres), empty for parametric models.
  virtual std::vector<std::pair<Point2, Point2>> controlPoints() const { return {}; }
};

// Least-squares fit of `type` (not Auto) mapping from[i] to to[i]. Throws mmreg::Error when
// there are too few points or they are degenerate.
std::unique_ptr<Transform2D> fitTransform(ModelType type, const std::vector<Point2>& from,
                                          const std::vector<Point2>& to);

}  // namespace mmreg
