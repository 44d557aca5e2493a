#include "mmreg/process_memory.h"

#include <cstdlib>
#include <initializer_list>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mmreg {

bool keepFreedMemoryForReuse() {
#if defined(__GLIBC__)
  for (const char* tuned : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"})
    if (std::getenv(tuned)) return false;
  constexpr int kKeep = 256 << 20;
  // Both together: a fixed trim threshold alone also freezes the mmap threshold at 128 KiB,
  // which makes every large buffer a fresh mapping (twice as slow as glibc's default here).
  return mallopt(M_MMAP_THRESHOLD, kKeep) == 1 && mallopt(M_TRIM_THRESHOLD, kKeep) == 1;
#else
  return false;
#endif
}

}  // namespace mmreg
