#pragma once
// The batch manifest: one pair per line, "reference,sensed,output[,extra options]" (CSV, with
// fields in double quotes where they hold commas; a header line starting with "reference" and
// lines starting with '#' are skipped). Relative paths are relative to the manifest's folder,
// the files that the extra options name too; extra options are mmreg options for that pair
// alone, separated by spaces (a value with spaces in double quotes).
#include <string>
#include <vector>

struct BatchPair {
  std::string reference, sensed, output;
  std::vector<std::string> options;
};

// Throws mmreg::Error naming the line when the manifest cannot be read or a line is malformed.
std::vector<BatchPair> readManifest(const std::string& path);
