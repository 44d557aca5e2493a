#include "batch/batch_manifest.h"

#include <cpl_conv.h>
#include <cpl_string.h>

#include <fstream>
#include <optional>

#include "mmreg/error.h"
#include "mmreg/option_table.h"

namespace {

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The fields of one CSV line (RFC 4180, as spreadsheets and QGIS write it): a field in double
// quotes may hold commas and spaces, and "" stands for a quote in it. Nothing for a quote left
// open or text after a closing quote.
std::optional<std::vector<std::string>> csvFields(const std::string& line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string f;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) return std::nullopt;
        if (line[i] == '"' && (i + 1 >= line.size() || line[i + 1] != '"')) break;
        if (line[i] == '"') ++i;  // "" is one quote
        f += line[i];
      }
      ++i;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      if (i < line.size() && line[i] != ',') return std::nullopt;
    } else {
      const size_t comma = line.find(',', i);
      f = trimmed(line.substr(i, comma == std::string::npos ? std::string::npos : comma - i));
      i = comma == std::string::npos ? line.size() : comma;
    }
    fields.push_back(f);
    if (i >= line.size()) return fields;
    ++i;  // the comma
  }
}

std::string resolved(const std::string& dir, const std::string& path) {
  if (path.empty() || path == "-" || dir.empty()) return path;
  // A file in an archive (/vsizip/scenes.zip/s1.tif, /vsizip/{scenes.zip}/s1.tif): the archive
  // is named from the manifest's folder too.
  for (const std::string prefix : {"/vsizip/", "/vsitar/", "/vsigzip/", "/vsi7z/", "/vsirar/"})
    if (path.rfind(prefix, 0) == 0) {
      const std::string rest = path.substr(prefix.size());
      return rest[0] == '{' ? prefix + "{" + resolved(dir, rest.substr(1)) : prefix + resolved(dir, rest);
    }
  return path[0] == '/' ? path : dir + "/" + path;
}

}  // namespace

std::vector<BatchPair> readManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw mmreg::Error("cannot read the manifest '" + path + "'; check the path");
  const std::string dir = CPLGetPath(path.c_str());
  std::vector<BatchPair> pairs;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (n == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // the UTF-8 mark of a spreadsheet's "CSV UTF-8"
    line = trimmed(line);
    if (line.empty() || line[0] == '#') continue;
    const auto fields = csvFields(line);
    if (!fields)
      throw mmreg::Error("manifest '" + path + "' line " + std::to_string(n) + ": a quoted field is not closed properly in '" +
                         line + "'; put a field in double quotes, with \"\" for a quote inside it");
    const auto& f = *fields;
    if (pairs.empty() && EQUAL(f[0].c_str(), "reference")) continue;  // the header (a file "reference.tif" is a pair)
    if (f.size() < 3 || f.size() > 4 || f[0].empty() || f[1].empty() || f[2].empty())
      throw mmreg::Error("manifest '" + path + "' line " + std::to_string(n) + ": expected reference,sensed,output[,options], got '" +
                         line + "'; " +
                         (f.size() == 1 && line.find(';') != std::string::npos
                              ? "separate the fields with commas, not semicolons (save the spreadsheet as CSV with commas)"
                              : "a path with a comma goes in double quotes"));
    BatchPair p{resolved(dir, f[0]), resolved(dir, f[1]), resolved(dir, f[2]), {}};
    if (f.size() == 4) {
      // Options apart at spaces; a value with spaces in double quotes, as on a command line.
      const CPLStringList options(CSLTokenizeString2(f[3].c_str(), " \t", CSLT_HONOURSTRINGS));
      for (int k = 0; k < options.size(); ++k) {
        p.options.push_back(options[k]);
        // The file an option names (-report, -tiepoints, -dem ...) is relative to the manifest's folder too.
        const auto* option = mmreg::findOption(options[k]);
        if (option && k + 1 < options.size() &&
            (option->kind == mmreg::OptionKind::File || option->kind == mmreg::OptionKind::Destination ||
             option->kind == mmreg::OptionKind::Sink))
          p.options.push_back(resolved(dir, options[++k]));
      }
    }
    pairs.push_back(std::move(p));
  }
  if (pairs.empty()) throw mmreg::Error("the manifest '" + path + "' lists no pair; write one reference,sensed,output per line");
  return pairs;
}
