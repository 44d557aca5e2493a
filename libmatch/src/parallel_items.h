#pragma once
// Independent items (tiles, verification windows) on a few threads, each result in its own
// slot, so the output does not depend on the thread count.
#include <cstddef>
#include <exception>
#include <functional>
#include <vector>

namespace mmreg {

// `threads` <= 0: one per core.
int resolveThreads(int threads);

// Runs work(i) for every i in [0, n) on up to `threads` threads, the calling thread among them.
// An item's exception stays in its slot of the result (it must not leave its thread: that
// would terminate the process, QGIS with it). Before each of its items the calling thread
// calls onCaller(items finished so far), for progress: what that throws (a cancel) stops the
// other threads after their current item, and is rethrown.
std::vector<std::exception_ptr> forEachItem(size_t n, int threads, const std::function<void(size_t)>& work,
                                            const std::function<void(size_t)>& onCaller);

}  // namespace mmreg
