// libFuzzer target: the command line's option parser. Any argument list must give options or a
// usage error (mmreg::Error inside, a message out), never a crash, a hang or undefined behaviour;
// options that parse must pass the declared range checks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mmreg/error.h"
#include "mmreg/option_table.h"
#include "mmreg_lib.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Arguments are separated by NUL or newline bytes.
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0 || data[i] == '\n') args.emplace_back();
    else args.back() += static_cast<char>(data[i]);
  }
  std::string error;
  auto options = MmregAppOptionsNew(args, &error);
  if (!options) {
    if (error.empty()) __builtin_trap();  // a usage error must say what is wrong
    return 0;
  }
  mmreg::checkDeclaredValues(options->job);  // throws (and so fails the fuzzer) if the parser let a bad value through
  (void)MmregUsage();
  return 0;
}
