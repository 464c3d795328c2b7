// rlimits.hpp: chapter 11, resource limits of each process (setrlimit(2)).
//
// cgroups (08) limit what the container uses as a whole; rlimits limit each
// process: how many files it may have open (RLIMIT_NOFILE), how big a core
// dump it may write (RLIMIT_CORE), how many processes its user may have
// (RLIMIT_NPROC, counted per real uid on the whole machine: a cgroup's
// pids.max is the container's own count). They are inherited across fork
// and execve, so the runtime sets them once, on the container's first
// process, while it waits: prlimit(2) works on another process.
//
// Defaults as `runc spec` writes them (reference.md): RLIMIT_NOFILE 1024:1024,
// the rest inherited from the runtime. --ulimit NAME=SOFT[:HARD] (Docker's
// spelling) sets one more. A hard limit above the runtime's own needs
// CAP_SYS_RESOURCE; without it (this project's CI machine has none) such a
// request is refused at once with exit 2, never silently lowered.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"

namespace rlimits {

struct Limit {
    int resource = 0;  // RLIMIT_NOFILE
    std::string name;  // "nofile", as --ulimit spells it
    rlim_t soft = 0, hard = 0;
    bool operator==(const Limit&) const = default;
};

struct Settings {
    std::vector<std::string> given;  // --ulimit, as typed
    std::vector<Limit> limits;       // the defaults with the given ones applied
};

// "nofile=1024:2048", "core=0", "nproc=unlimited" as a Limit. Throws
// error::UsageError naming what is wrong (unknown name, soft above hard).
Limit parse(std::string_view text);

// The limit as --ulimit spells it: "nofile=1024:1024" (parse()'s inverse).
std::string format(const Limit& limit);

// In the runtime, while the child waits: prlimit(2) of each limit on `pid`.
void apply(pid_t pid, const Settings& settings);

// The option group: --ulimit (repeatable).
extern const cli::Group options;

}  // namespace rlimits
