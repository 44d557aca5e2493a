#pragma once
// How far from its points a least-squares model can be trusted: its predicted standard error
// sigma * sqrt(phi(p)' (Phi' Phi)^-1 phi(p)), at worst over an extent. Points clustered in one
// corner give a large error at the far corners; points spread over the extent a small one.
#include <vector>

#include "mmreg/geometry.h"
#include "mmreg/model.h"

namespace mmreg {

// fitted: the points the model was fitted on (reference pixels); rmse: its fit RMSE (floored at
// 0.2 px); extent: where the model will be used. Infinity when the points cannot fix the model.
double predictedErrorOver(const std::vector<Point2>& fitted, ModelType type, double rmse, const PixelWindow& extent);

}  // namespace mmreg
