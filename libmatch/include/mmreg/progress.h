#pragma once
#include <functional>

namespace mmreg {

// Progress in [0,1] with a short message; return false to cancel (GDAL's convention).
using ProgressFn = std::function<bool(double fraction, const char* message)>;

// Maps [0,1] of a sub-task onto [start,end] of the parent and turns a cancel into mmreg::Cancelled.
class ProgressSpan {
 public:
  ProgressSpan(const ProgressFn& parent, double start, double end) : parent_(parent), start_(start), end_(end) {}
  void update(double fraction, const char* message = "") const;  // throws Cancelled
  ProgressSpan sub(double from, double to) const {
    return ProgressSpan(parent_, start_ + (end_ - start_) * from, start_ + (end_ - start_) * to);
  }

 private:
  const ProgressFn& parent_;
  double start_, end_;
};

}  // namespace mmreg
