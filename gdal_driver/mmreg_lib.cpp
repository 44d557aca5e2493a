#include "mmreg_lib.h"

#include <cpl_error.h>

#include <sstream>

#include "mmreg/error.h"
#include "mmreg/learned_models.h"
#include "mmreg/option_table.h"
#include "mmreg/outputs.h"

namespace {

// The one option of the command line alone: how it draws, not what it computes.
const char* const kQuietHelp = "Quiet: no progress bar and no summary.";

std::string usageLine(const std::string& head, const std::string& help) {
  return head + (head.size() < 24 ? std::string(24 - head.size(), ' ') : "\n" + std::string(24, ' ')) + help + "\n";
}

}  // namespace

std::string MmregUsage() {
  std::ostringstream s;
  s << "Usage: mmreg [--help] [--version] [--config KEY VALUE]... [options] <reference> <sensed> <output>\n\n"
    << "Co-registers the sensed raster (e.g. SAR) onto the georeferenced reference raster (e.g. optical)\n"
    << "and writes the sensed raster resampled onto the reference grid (or, with -georef_only, with the\n"
    << "fitted georeferencing attached). <output> may be '-' for no raster (tie points / report only).\n\n"
    << "Options:\n";
  for (const auto& o : mmreg::optionTable()) {
    std::string help = o.help;
    if (o.kind == mmreg::OptionKind::Choice) help += " Choices: " + mmreg::joinedChoices(o) + ".";
    if (o.kind == mmreg::OptionKind::Integer || o.kind == mmreg::OptionKind::Number) {
      const std::string d = mmreg::defaultValue(o);  // empty: an optional value, unset (the help says what then)
      help += (d.empty() ? " Range " : " Default " + d + ", range ") + mmreg::rangeText(o) + ".";
    }
    s << usageLine("  " + o.cli + (o.arg.empty() ? "" : " " + o.arg), help);
  }
  s << usageLine("  -q", kQuietHelp);
  s << "\nExit status: 0 success, 1 failure (nothing written but the report), 2 usage error.\n";
  return s.str();
}

std::unique_ptr<MmregAppOptions> MmregAppOptionsNew(const std::vector<std::string>& args, std::string* error) {
  auto opts = std::make_unique<MmregAppOptions>();
  std::vector<std::string> positional;
  bool formatGiven = false;
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "-q") {
        opts->quiet = true;
      } else if (a.size() > 1 && a[0] == '-') {
        const mmreg::OptionDecl* spec = mmreg::findOption(a);
        if (!spec) throw mmreg::Error("unknown option '" + a + "'; see mmreg --help");
        if (spec->kind == mmreg::OptionKind::Flag) {
          spec->set(opts->job, spec->flagValue);
          continue;
        }
        if (i + 1 >= args.size()) throw mmreg::Error(a + " needs a value (" + spec->arg + ")");
        const std::string& value = args[++i];
        formatGiven = formatGiven || a == "-of";
        spec->set(opts->job, value);
        mmreg::checkOptionValue(*spec, value);
      } else {
        positional.push_back(a);
      }
    }
    if (positional.size() != 3)
      throw mmreg::Error("expected <reference> <sensed> <output>, got " + std::to_string(positional.size()) +
                         " file argument(s); see mmreg --help");
    // Without -of the extension names the format, as with gdal_translate: out.vrt was a GeoTIFF.
    if (!formatGiven && positional[2] != "-") opts->job.out.format = mmreg::rasterFormatFor(positional[2]);
  } catch (const mmreg::Error& e) {
    *error = e.what();
    return nullptr;
  }
  opts->job.reference = positional[0];
  opts->job.sensed = positional[1];
  opts->job.out.output = positional[2] == "-" ? "" : positional[2];
  return opts;
}

int MmregRun(const MmregAppOptions& o, GDALProgressFunc progress, void* data) {
  mmreg::ProgressFn fn;
  if (progress) fn = [&](double f, const char* msg) { return progress(f, msg, data) != FALSE; };
  try {
    mmreg::registerLearnedModels();
    const auto r = mmreg::coregister(o.job, fn);
    for (const auto& w : r.warnings) CPLError(CE_Warning, CPLE_AppDefined, "mmreg: %s", w.c_str());  // also with -q
    if (!o.quiet) {
      std::printf("verdict: %s (search start: %s)\n", r.verdict.summary().c_str(), r.verdict.hypothesis.c_str());
      std::printf("model: %s, tie points: %zu candidates, %d inliers, %d check points\n",
                  mmreg::modelName(r.fit.forward->type()), r.match.tiePoints.size(), r.fit.inlierCount, r.fit.checkCount);
      std::printf("RMSE fit: %s; check points: %s\n", mmreg::pixelsAndMetres(r.fit.rmseFit, r.referencePixelMetres).c_str(),
                  mmreg::pixelsAndMetres(r.fit.rmseCheck, r.referencePixelMetres).c_str());
    }
    return 0;
  } catch (const mmreg::Cancelled&) {
    CPLError(CE_Failure, CPLE_UserInterrupt, "mmreg: cancelled; no output was written");
  } catch (const mmreg::Error& e) {
    CPLError(CE_Failure, CPLE_AppDefined, "mmreg: %s", e.what());
  } catch (const std::exception& e) {
    CPLError(CE_Failure, CPLE_AppDefined, "mmreg: unexpected failure: %s; please report it with the command line", e.what());
  }
  return 1;
}
