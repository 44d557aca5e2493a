#pragma once
// Shared helpers: data paths, temporary folders, running the CLI binary.
#include <string>

#include "mmreg/datasets.h"

namespace mmreg_test {

std::string sharedData();   // ../shared/data
std::string sampleData();   // sample_data/
bool haveSharedData();
// A fresh, empty folder under the build's temporary directory; removed by the test fixture.
std::string freshDir(const std::string& name);
void removeTree(const std::string& dir);
bool fileExists(const std::string& path);
// Number of entries in a folder (to prove that nothing partial was left behind).
int countEntries(const std::string& dir);

struct CliResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};
CliResult runCli(const std::string& args);
CliResult runProgram(const std::string& program, const std::string& args);

// The first pair of the 3MOS grid with this stem ("SEN_city"), index k.
mmreg::AlignedPair threeMosPair(const std::string& stem, int k);

}  // namespace mmreg_test

#define SKIP_WITHOUT_SHARED_DATA()                                            \
  do {                                                                        \
    if (!mmreg_test::haveSharedData()) GTEST_SKIP() << "../shared/data missing"; \
  } while (0)
