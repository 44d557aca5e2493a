#pragma once
// The mmreg command line as a library function, in the manner of GDAL's apps: an options
// object built from argv, a run function that reports through CPLError, and a thin main.
#include <gdal.h>

#include <memory>
#include <string>
#include <vector>

#include "mmreg/coregister.h"

struct MmregAppOptions {
  mmreg::CoregisterOptions job;
  bool quiet = false;
};

// Parses the arguments after the program name. On a usage error returns nullptr and sets *error.
std::unique_ptr<MmregAppOptions> MmregAppOptionsNew(const std::vector<std::string>& args, std::string* error);
// The --help text, generated from the same option table the parser uses.
std::string MmregUsage();
// Runs the job. Returns 0 on success, 1 on failure (reported with CPLError). `progress` is
// called even with -q (it may cancel by returning FALSE); it should not draw then.
int MmregRun(const MmregAppOptions& options, GDALProgressFunc progress, void* progressData);
