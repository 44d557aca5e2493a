#pragma once
// Independent confirmation of a fitted model: windows on a fresh grid, not the matcher's
// templates, correlated with the sensed image resampled through the model. Under a right
// model their correlation peaks sit at zero offset far more often than chance allows, and the
// mean correlation is higher at the model than under slightly perturbed models.
#include <vector>

#include "mmreg/progress.h"
#include "mmreg/verdict.h"
#include "features/structural_features.h"
#include "pipeline/tile_reader.h"

namespace mmreg {

struct ConfirmationOptions {
  int window = 0;          // processing pixels; 0: a quarter of the overlap's shorter side, 48 to 96
  // Search radius around the model, processing pixels. A wider search lowers the chance that a
  // wrong model's peak lands at it (0.056 at 8 px, 0.024 at 12) far more than it costs right
  // windows (VERDICT.md, "The search radius").
  int margin = 12;
  int perSide = 8;         // at most perSide x perSide windows, one per cell of a grid over the overlap
  double tolerance = 1.5;  // a peak this close to zero offset (processing pixels) confirms the model
  int threads = 0;         // windows correlated at once; 0: one per core
  StructuralFeatureOptions features;  // what the windows correlate
};

// overlap: in processing pixels of `reader`; model: the fitted mapping between the full grids.
ConfirmationCheck confirmModel(const TileReader& reader, const PixelMapping& model, const PixelWindow& overlap,
                               const ConfirmationOptions& options, const ProgressSpan& progress);

// The chance that a window's peak lands within the tolerance of a wrong model.
double confirmationChance(const ConfirmationOptions& options = {});
// The most windows confirmModel can correlate over an overlap of width x height processing
// pixels, and the fewest that can verify a model at verifyPValue (every one confirming).
int confirmationWindowsAtMost(int width, int height, const ConfirmationOptions& options = {});
int fewestWindowsToVerify(double verifyPValue, const ConfirmationOptions& options = {});

// P(X >= k) for X ~ Binomial(n, p).
double binomialTail(int k, int n, double p);

// Fisher's combination of independent p-values: P(chi-square with 2n degrees of freedom >= -2 sum ln p).
double fisherCombined(const std::vector<double>& pValues);

}  // namespace mmreg
