#pragma once
// The verdict on a fitted model: checks that a wrong model fails, made before anything is
// written (docs/ALGORITHM.md, "Verdict"). A result that is not verified is refused.
#include <cmath>
#include <string>
#include <vector>

#include "mmreg/geometry.h"

namespace mmreg {

enum class VerdictLevel { Verified, Doubtful, Failed };
const char* verdictName(VerdictLevel level);

struct VerifyOptions {
  // Plausible geometry, relative to what the georeferencing, the pixel sizes or the coarse
  // estimate predict: the model's local scale, rotation and anisotropy (ratio of its two
  // singular values, which shear and unequal axis scales raise) anywhere over the overlap.
  double maxScaleChange = 0.15;  // fraction
  double maxRotationDeg = 15;
  double maxAnisotropy = 1.15;
  bool keepDoubtful = false;     // write a doubtful result (a failed one never is)
};

// The numbers behind each check (JSON report: "verdict").
struct SupportCheck {
  int inliers = 0, minInliers = 0;     // minimum: 2 per parameter + 4
  int cellsOccupied = 0;               // of the 3 x 3 cells over the overlap holding an inlier
  double hullShare = 0;                // convex hull of the inliers / overlap area
  double extrapolationPx = 0;          // predicted standard error of the model at worst over the overlap
  // From each check point to the nearest fitted point: the least and the median (-1: no check points).
  double checkMinDistancePx = -1, checkMedianDistancePx = -1;
};

struct GeometryCheck {
  std::string prior;                   // georeferencing | coarse alignment
  double worstScaleChange = 0;         // |scale - 1| at worst over the overlap, against the prior
  double worstRotationDeg = 0;
  double worstAnisotropy = 1;
  bool mirrored = false;
  double scaleLimit = 0, rotationLimitDeg = 0, anisotropyLimit = 0;  // the options' bounds, widened by the prior's uncertainty
  bool plausible = false;
};

struct ConfirmationCheck {
  // What the windows correlated: the structural features normalised per pixel ("per-pixel") or
  // by regional energy ("regional"; tried when the per-pixel ones do not verify the model).
  std::string features = "per-pixel";
  int windowSize = 0, margin = 0;      // processing pixels
  int windows = 0;                     // fresh windows with valid data and structure
  int confirmed = 0;                   // whose correlation peak sits at the model (within tolerance)
  double tolerancePx = 0;              // processing pixels
  double chance = 0;                   // share a wrong model would confirm by chance
  double pValue = 1;                   // of `confirmed` or more under chance alone
  // Reported, not a criterion: each window's correlation at the model ranked among its whole
  // search surface (the share of offsets correlating at least as well), the ranks combined by
  // Fisher's method. A few windows decide it, so a model right over part of the overlap scores
  // as if right (docs/ALGORITHM.md, "Verdict").
  double rankPValue = 1;
  int cellsConfirmed = 0;              // of the 3 x 3 cells over the overlap holding a confirmed window
  Point2 aggregateOffset;              // peak of the mean correlation surface, processing pixels
  double aggregatePeak = 0;            // its value
  double aggregateZ = 0;               // the surface at the model against its values 3 px or more away, in standard deviations
  double perturbationMargin = 0;       // mean correlation at the model minus the best slightly perturbed model
  // A rival alignment: windows that miss the model but agree with each other on one offset,
  // twice the tolerance or more away from it. Under a model right across the overlap the
  // windows that miss it peak anywhere; under one right over part of it, the rest peak together
  // where their part really lies.
  int rivalWindows = 0;
  Point2 rivalOffset;                  // their mean peak, processing pixels from the model
  double rivalPValue = 1;              // of that many agreeing on some offset by chance alone
  // How far a linear model could stray over the overlap if only the confirmed windows fixed it,
  // each to within the tolerance (processing px; the predicted error of an affine fitted at their
  // centres, at worst over the overlap). Infinite when they cannot fix one (fewer than three, or
  // in a line). Confirmed windows along one band leave a model turned or scaled about that band
  // unconfirmed across it.
  double confirmedSpanPx = INFINITY;
};

struct Verdict {
  VerdictLevel level = VerdictLevel::Failed;
  std::vector<std::string> reasons;    // why it is not verified; empty when verified
  std::string advice;                  // what to try
  SupportCheck support;
  GeometryCheck geometry;
  ConfirmationCheck confirmation;
  std::string hypothesis;              // which start produced it (georeferencing, coarse hypothesis k of n)
  std::vector<std::string> otherStarts;  // what each other start that was tried gave
  // "verified" (and how many other starts were tried first), or "<level>: reason; reason.
  // <advice>", then what the other starts gave
  std::string summary() const;
};

}  // namespace mmreg
