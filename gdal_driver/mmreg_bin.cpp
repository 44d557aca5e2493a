// Thin main: GDAL's general options, parse, progress bar, run, exit code.
#include <cpl_string.h>
#include <gdal.h>

#include <cstdio>
#include <cstring>

#include "mmreg_lib.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(MmregUsage().c_str(), stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      std::printf("mmreg %s (GDAL %s)\n", mmreg::versionString(), GDALVersionInfo("RELEASE_NAME"));
      return 0;
    }
  }
  GDALAllRegister();
  argc = GDALGeneralCmdLineProcessor(argc, &argv, 0);  // --config, --debug, --help-general
  if (argc < 1) return argc == 0 ? 0 : 2;
  std::vector<std::string> args(argv + 1, argv + argc);
  CSLDestroy(argv);
  std::string error;
  auto options = MmregAppOptionsNew(args, &error);
  if (!options) {
    std::fprintf(stderr, "mmreg: %s\n", error.c_str());
    return 2;
  }
  const int rc = MmregRun(*options, GDALTermProgress, nullptr);
  GDALDestroyDriverManager();
  return rc;
}
