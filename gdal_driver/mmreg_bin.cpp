// Thin main: GDAL's general options, parse, progress bar, run, exit code.
#include <cpl_string.h>
#include <gdal.h>

#include <cstdio>
#include <cstring>

#include "interrupt.h"
#include "mmreg/process_memory.h"
#include "mmreg_lib.h"

namespace {

int CPL_STDCALL progressOrStop(double fraction, const char* message, void* data) {
  if (interrupted()) return FALSE;
  return data ? GDALTermProgress(fraction, message, nullptr) : TRUE;
}

}  // namespace

int main(int argc, char** argv) {
  // First thing: a signal during start-up must cancel too, not kill the process half-way.
  cancelOnSignals();
  mmreg::keepFreedMemoryForReuse();
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
  // The progress function always runs (to notice a signal); it draws only without -q.
  static int draw = 1;
  const int rc = MmregRun(*options, progressOrStop, options->quiet ? nullptr : &draw);
  GDALDestroyDriverManager();
  return rc;
}
