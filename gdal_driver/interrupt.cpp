#include "interrupt.h"

#include <csignal>
#include <initializer_list>

namespace {

volatile std::sig_atomic_t received = 0;
void onSignal(int) { received = 1; }

void catchUnlessIgnored(int sig) {
  if (std::signal(sig, onSignal) == SIG_IGN) std::signal(sig, SIG_IGN);
}

}  // namespace

void cancelOnSignals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) catchUnlessIgnored(sig);
}

bool interrupted() { return received != 0; }
