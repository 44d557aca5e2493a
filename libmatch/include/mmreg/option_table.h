#pragma once
// Every user-facing option of a registration, declared once. The CLI parser, its --help, the
// range checks of validateOptions and the QGIS parameter definitions are all generated from
// this table, so the command line and the Processing algorithms cannot drift apart.
#include <functional>
#include <string>
#include <vector>

#include "mmreg/coregister.h"

namespace mmreg {

enum class OptionKind {
  Flag,         // CLI: a bare flag that sets `flagValue`; QGIS: a boolean
  Integer,      // whole number within [minValue, maxValue]
  Number,       // real number within [minValue, maxValue]; an empty default means "unset" (optional)
  Choice,       // one of `choices` (QGIS: an enum; new choices are appended so saved indices keep)
  Text,         // free text; with `repeatable`, QGIS joins the values with '|'
  Bands,        // band numbers of `parentLayer`; the CLI repeats the option
  File,         // an existing input file (QGIS: a file parameter filtered by `fileExtension`)
  Crs,          // a CRS definition (EPSG:n, WKT, PROJ)
  Destination,  // an output file (QGIS: a file destination filtered by `fileExtension`)
  Sink,         // an output layer; QGIS writes it through a feature sink the algorithm adds itself
};

// Which QGIS algorithms show an option.
enum OptionScope : unsigned {
  kScopeMatching = 1,    // Co-register raster, Extract tie points
  kScopeModel = 2,       // all three algorithms
  kScopeRaster = 4,      // the algorithms that write a raster: Co-register raster, Apply tie points
  kScopeReport = 8,      // all three algorithms
  kScopePointsFile = 16, // Extract tie points
  kScopeRpcOutput = 32,  // Co-register raster (its output is the sensed raster with refined RPCs)
};

struct OptionDecl {
  std::string cli;    // "-tile_size"
  std::string qgis;   // "TILE_SIZE"; empty when the option has no QGIS parameter ...
  std::string qgisWhy;  // ... and then why not (checked by a test)
  OptionKind kind;
  std::string arg;    // the CLI's value placeholder ("N"); empty for a flag
  std::string label;  // the QGIS parameter's description
  std::string help;   // the CLI's --help line
  unsigned scope = 0;
  bool advanced = false;
  bool repeatable = false;
  std::vector<std::string> choices;
  double minValue = 0, maxValue = 0;  // Integer and Number
  bool nanAllowed = false;            // Number: "nan" is a value too (a nodata of float rasters, as in GDAL)
  std::string flagValue;      // Flag: the value the CLI flag sets ("true" or "false")
  std::string parentLayer;    // Bands: REFERENCE or SENSED
  std::string fileExtension;  // File and Destination, without the dot
  // Applies one value in the CLI's text form. Throws Error when the text is not of the
  // option's kind; ranges and choices are checked by checkOptionValue.
  std::function<void(CoregisterOptions&, const std::string&)> set;
  // The option's value in text form (repeatable: '|'-joined); the default is get(CoregisterOptions{}).
  std::function<std::string(const CoregisterOptions&)> get;
};

const std::vector<OptionDecl>& optionTable();
// The declaration of a CLI name ("-tile_size"), or null.
const OptionDecl* findOption(const std::string& cliName);
std::string defaultValue(const OptionDecl& option);
// "a, b or c" for a Choice; "lo to hi" for an Integer or Number.
std::string joinedChoices(const OptionDecl& option);
std::string rangeText(const OptionDecl& option);
// Throws Error saying what is wrong and what is allowed when `value` (text form) is out of the
// declared range, not one of the choices, or a file that does not exist.
void checkOptionValue(const OptionDecl& option, const std::string& value);
// checkOptionValue on every declared Integer, Number and Choice value of `options`.
void checkDeclaredValues(const CoregisterOptions& options);

}  // namespace mmreg
