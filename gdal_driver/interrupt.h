#pragma once
// Ctrl-C, a hang-up (a closed terminal), a kill or a quit becomes a cancel at the next progress
// report, so the library unwinds and removes its temporary files instead of leaving them behind.

// Installs the handlers; a signal the caller ignores (nohup ignores SIGHUP) stays ignored.
void cancelOnSignals();
// True once one of those signals arrived.
bool interrupted();
