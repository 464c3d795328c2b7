// timens.hpp: chapter 11, the eighth namespace: the container's own clocks.
//
// A time namespace (time_namespaces(7), Linux 5.6) gives its processes their
// own offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME (not the wall clock,
// CLOCK_REALTIME: there is one time of day for everyone). A container
// moved to another machine (CRIU) keeps its uptime and its timers; here it
// shows that a clock, too, is a view.
//
// Unlike the others, a time namespace cannot be entered at birth with its
// offsets: they may be written to /proc/PID/timens_offsets only while no
// process is in it. So the child, once set up:
//   1. unshare(CLONE_NEWTIME): a new namespace, for its children only
//      (/proc/self/ns/time_for_children);
//   2. writes the offsets to /proc/self/timens_offsets;
//   3. setns(2) into it, so that it too (the init, or the command with
//      --no-init) runs on the container's clocks.
// --time-offset monotonic=SECONDS,boottime=SECONDS; the default offsets are
// 0 (a namespace of its own, with the host's clocks).
#pragma once

#include <cstdint>
#include <string>

#include "options.hpp"

namespace timens {

struct Settings {
    std::string given;                    // --time-offset, as typed
    int64_t monotonic = 0, boottime = 0;  // seconds added to the host's clocks
};

// In the child, first of all: steps 1-3 above. Before the uid change of
// user::become_root, which makes the process non-dumpable: its /proc/self
// files then belong to host root, and timens_offsets could not be opened.
void enter(const Settings& settings);

// The option group: --time-offset.
extern const cli::Group options;

}  // namespace timens
