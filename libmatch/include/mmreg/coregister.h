#pragma once
// The whole job: match a sensed raster onto a reference, fit one model, write the outputs.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mmreg/error.h"
#include "mmreg/features.h"
#include "mmreg/global_fit.h"
#include "mmreg/preprocess.h"
#include "mmreg/progress.h"
#include "mmreg/rpc.h"
#include "mmreg/verdict.h"

namespace mmreg {

enum class CoarseMode { Auto, Always, Never };
enum class OutputGrid { Reference, Sensed };

struct MatchOptions {
  std::vector<int> referenceBands;  // empty: luminance of bands 1-3, or band 1
  std::vector<int> sensedBands;
  Modality referenceModality = Modality::Optical;
  Modality sensedModality = Modality::Auto;
  std::string matcher = "area";     // area, sift, orb, akaze, learned (see makeTileMatcher)
  std::string detector = "corner";  // places the area matcher's templates: corner, learned, sift, orb, akaze, peakiness, peakiness-learned
  // What the area matcher and the refinement of keypoint matches correlate: structural, or
  // learned (the backbone: structural features + a trained residual). The verdict's independent
  // confirmation always uses the structural features.
  std::string features = "structural";
  LearnedModelOptions learned;      // weights, threads and device of the learned models
  // Area-based sub-pixel refinement of a keypoint matcher's matches (learned, sift, orb,
  // akaze); the area matcher is sub-pixel already.
  bool refine = true;
  int tileSize = 512;      // processing pixels
  int searchMargin = 64;   // processing pixels of the first pass: the largest offset it absorbs
  // Largest offset of the starting estimate to search, in metres on the ground (CRS units where
  // the reference has no CRS); 0: 256 reference pixels. The first pass runs on a coarser pyramid
  // level when its margin needs it.
  double maxOffset = 0;
  int maxTiles = 36;
  CoarseMode coarse = CoarseMode::Auto;
  std::string sensedSrs;   // CRS assumed for a sensed raster that has none
  // Heights for RPC georeferencing: a DEM (any GDAL raster, any CRS), else a constant (the
  // RPC's height offset when not given).
  std::string dem;
  std::optional<double> rpcHeight;
  int threads = 0;         // 0: all cores
  // GDAL's block cache for the run, MB, so that memory does not follow GDAL's default (5 % of
  // RAM); a GDAL_CACHEMAX the user configured wins. Restored afterwards.
  int cacheMB = 256;
};

struct TileStats {
  int index = 0;
  int pass = 0;          // 1: wide search margin, later passes: refined
  PixelWindow window;    // reference full-resolution pixels
  int matches = 0;
  int inliers = 0;
  double seconds = 0;
  std::string skipped;   // why the tile was skipped, empty when matched
};

struct StageTime {
  std::string stage;
  double seconds;
};

struct MatchResult {
  std::vector<TiePoint> tiePoints;  // from the final pass
  std::vector<TileStats> tiles;     // every pass
  int finalPass = 0;
  double processingScale = 1;  // reference pixels per processing pixel
  PixelWindow overlap;         // of the final pass, reference pixels
  double templateSizePx = 0;   // the final pass's templates, reference pixels
  bool coarseUsed = false;     // the result came from a coarse hypothesis (the verdict names which)
  std::string sensedModality;
  bool referenceDecibels = false, sensedDecibels = false;  // a SAR band read as backscatter in dB
  std::vector<int> referenceBands, sensedBands;             // the bands matched, 1-based; empty: none read
  std::vector<StageTime> stages;
};

struct OutputOptions {
  std::string output;        // raster output; empty: no raster
  bool georefOnly = false;   // attach the fitted georeferencing instead of resampling
  std::string format = "GTiff";
  std::vector<std::string> creationOptions;  // NAME=VALUE
  std::string resampling = "bilinear";
  OutputGrid grid = OutputGrid::Reference;
  int warpMemoryMB = 256;
  int threads = 0;           // the warper's threads; 0: every core
  // Where the warped output has no sensed data (outside its footprint): this nodata value
  // (unset: the sensed raster's own, when it has one), and/or an alpha band.
  std::optional<double> dstNodata;
  bool dstAlpha = false;
  bool overwrite = false;
  // Write the sensed raster unchanged with its RPCs corrected against the reference (instead
  // of resampling it); needs RPCs on the sensed raster.
  bool rpcRefine = false;
  std::string reportPath, htmlPath, tiePointsPath, pointsPath;
};

struct CoregisterOptions {
  std::string reference;
  std::string sensed;
  // Nodata declared for an input, replacing its file's nodata and mask (fill the file does
  // not declare, e.g. the black collar around a scene).
  std::optional<double> referenceNodata, sensedNodata;
  MatchOptions match;
  FitOptions fit;
  VerifyOptions verify;
  OutputOptions out;
};

struct CoregisterResult {
  MatchResult match;
  FitResult fit;
  Verdict verdict;
  double referencePixelMetres = NAN;  // ground metres per reference pixel at its centre (NaN: no CRS)
  std::vector<StageTime> stages;
  std::vector<std::string> warnings;  // facts the analyst must hear although the result is verified
  std::optional<RpcRefinement> rpc;   // with -rpc_refine
};

// An error in reference pixels as the analyst reads it: "1.181 px (11.81 m)", the metres only where
// the reference's ground pixel size is known (metresPerPixel finite), "none" for no value (no
// check points).
std::string pixelsAndMetres(double px, double metresPerPixel);

// Thrown when the verdict refuses the model (failed, or doubtful without keepDoubtful): the
// message is the verdict's summary, `result` the refused result. Only the report, when one was
// asked for, is written.
class Refused : public Error {
 public:
  explicit Refused(std::shared_ptr<const CoregisterResult> r);
  VerdictLevel level() const;
  std::shared_ptr<const CoregisterResult> result;
};

// Everything. Validates outputs before any work; writes them under temporary names and renames
// them together on success, so a failure or cancel leaves no partial file. Throws Refused when
// the model is not verified.
CoregisterResult coregister(const CoregisterOptions& options, const ProgressFn& progress);

// Fits the model to given tie points (hand-edited, say), judges it like coregister (the
// georeferencing, when the sensed raster has one, is the geometry prior) and writes the outputs
// of `options.out`; options.match gives the bands and modalities. The reference gives the grid
// and the CRS.
CoregisterResult applyTiePoints(const CoregisterOptions& options, const std::vector<TiePoint>& points,
                                const ProgressFn& progress);

// Checks an options object and the output paths before work starts; throws mmreg::Error.
void validateOptions(const CoregisterOptions& options);

const char* versionString();

}  // namespace mmreg
