#pragma once
// The library's one error type. Every message says what was wrong and what to do about it.
#include <stdexcept>
#include <string>

namespace mmreg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a progress callback asks to stop; callers treat it as a clean cancel.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled by the user") {}
};

}  // namespace mmreg
