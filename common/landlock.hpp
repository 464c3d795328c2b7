// landlock.hpp: chapter 11, the container confined to its own tree.
//
// Landlock (landlock(7), Linux 5.13) lets any process, unprivileged, take
// rights away from itself and everything it starts: a ruleset names the
// kinds of access it handles (read a file, write one, make a directory,
// execute, ...), each rule grants some of them beneath one directory, and
// from landlock_restrict_self(2) on, a handled access outside every rule is
// EACCES. Like seccomp, it needs no_new_privs (or CAP_SYS_ADMIN) and cannot
// be undone; unlike seccomp it judges paths, not system call numbers.
//
// After pivot_root, every path the container has is already inside its
// root, so one might think there is nothing left to confine. Landlock is
// defence in depth: a file descriptor or a mount that leads out (a bug, a
// leaked fd, an overlooked bind) is still judged by these rules. The rules:
//   /                 read and execute (the overlay takes no writes then)
//   /tmp, /dev (with /dev/shm), /dev/mqueue, /proc, writable volumes: read, write
// Kernels without Landlock (or with it disabled at boot): one line says it
// is skipped, and the container starts without it.
#pragma once

#include <string>
#include <vector>

#include "options.hpp"

namespace landlock {

struct Settings {
    bool enabled = true;                // false: --no-landlock
    std::vector<std::string> writable;  // the read-write trees, as the container sees them
};

// The highest Landlock ABI this kernel offers, 0 if none
// (landlock_create_ruleset(2) with LANDLOCK_CREATE_RULESET_VERSION).
int abi_version();

// In the child, after no_new_privs and before seccomp: the ruleset above,
// applied to this process and all it starts.
void restrict_self(const Settings& settings);

// The option group: --no-landlock. Its finish adds the writable volumes:
// list it after volume::options.
extern const cli::Group options;

}  // namespace landlock
