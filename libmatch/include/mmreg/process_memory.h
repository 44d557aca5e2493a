#pragma once
// How the process's allocator treats the large buffers a registration frees, for programs
// (the CLI, the batch runner, the benchmarks) to opt into; a library must not change it for its host.

namespace mmreg {

// Makes glibc keep freed blocks of up to 256 MiB in the heap for the next tile instead of
// returning each to the system and faulting it back in, page by page: tile images, feature
// channels and correlation planes are freed and allocated again for every tile and template.
// (By default glibc gives blocks above its mmap threshold, 128 KiB raised at most to 32 MiB,
// back at once.) Measured on the project's VM: a test-split registration about twice as fast,
// peak memory 4-9 % higher (docs/benchmarks/PROCESS_MEMORY.md). Call once, before any thread
// starts. Does nothing when the allocator is not glibc's, or when the environment already tunes
// glibc's malloc (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES): an
// explicit setting wins. Returns whether it changed anything.
bool keepFreedMemoryForReuse();

}  // namespace mmreg
