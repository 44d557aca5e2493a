#include "mmreg/progress.h"

#include <algorithm>

#include "mmreg/error.h"

namespace mmreg {

void ProgressSpan::update(double fraction, const char* message) const {
  if (!parent_) return;
  const double f = start_ + (end_ - start_) * std::clamp(fraction, 0.0, 1.0);
  if (!parent_(f, message ? message : "")) throw Cancelled();
}

}  // namespace mmreg
