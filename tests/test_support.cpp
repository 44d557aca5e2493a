#include "test_support.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <sys/wait.h>

namespace mmreg_test {

std::string sharedData() { return MMREG_SHARED_DATA; }
std::string sampleData() { return MMREG_SAMPLE_DATA; }

bool fileExists(const std::string& p) {
  VSIStatBufL st;
  return VSIStatL(p.c_str(), &st) == 0;
}

bool haveSharedData() { return fileExists(sharedData() + "/3mos/SEN_city.png"); }

std::string freshDir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/mmreg_test_" + std::to_string(getpid()) + "_" + name;
  removeTree(dir);
  VSIMkdirRecursive(dir.c_str(), 0755);
  return dir;
}

void removeTree(const std::string& dir) { VSIRmdirRecursive(dir.c_str()); }

int countEntries(const std::string& dir) {
  char** e = VSIReadDir(dir.c_str());
  int n = 0;
  for (int i = 0; e && e[i]; ++i)
    if (std::string(e[i]) != "." && std::string(e[i]) != "..") ++n;
  CSLDestroy(e);
  return n;
}

CliResult runProgram(const std::string& program, const std::string& args) {
  CliResult r;
  const std::string cmd = "'" + program + "' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

CliResult runCli(const std::string& args) { return runProgram(MMREG_CLI, args); }

mmreg::AlignedPair threeMosPair(const std::string& stem, int k) {
  for (auto& p : mmreg::load3Mos(sharedData() + "/3mos"))
    if (p.name == "3mos/" + stem + "/" + std::to_string(k)) return p;
  throw std::runtime_error("no 3MOS pair " + stem);
}

}  // namespace mmreg_test
