#include "pipeline/raster_threads.h"

#include <exception>
#include <thread>

namespace mmreg {

void readBothRasters(const GeoRaster& ref, const GeoRaster& sen, const std::function<void()>& onRef,
                     const std::function<void()>& onSen) {
  if (&ref == &sen) {
    onRef();
    onSen();
    return;
  }
  std::exception_ptr refError;
  std::thread refThread([&] {
    try {
      onRef();
    } catch (...) {
      refError = std::current_exception();
    }
  });
  try {
    onSen();
  } catch (...) {
    refThread.join();
    throw;
  }
  refThread.join();
  if (refError) std::rethrow_exception(refError);
}

}  // namespace mmreg
