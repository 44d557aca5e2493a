#include "parallel_items.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace mmreg {

int resolveThreads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::vector<std::exception_ptr> forEachItem(size_t n, int threads, const std::function<void(size_t)>& work,
                                            const std::function<void(size_t)>& onCaller) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0}, finished{0};
  std::atomic<bool> stop{false};
  auto loop = [&](bool caller) {
    for (size_t i = next++; i < n && !stop; i = next++) {
      if (caller) onCaller(finished);
      try {
        work(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
      ++finished;
    }
  };
  std::vector<std::thread> pool;
  const int helpers = std::min(resolveThreads(threads), static_cast<int>(std::min<size_t>(n, 1 << 16))) - 1;
  for (int t = 0; t < helpers; ++t) pool.emplace_back(loop, false);
  try {
    loop(true);
  } catch (...) {
    stop = true;
    for (auto& t : pool) t.join();
    throw;
  }
  for (auto& t : pool) t.join();
  return errors;
}

}  // namespace mmreg
