// spec.hpp: a container, described as one value.
//
// The command line fills it (each mechanism's option group fills its own
// slice), the chapter's storyline reads it. A later chapter can fill the
// same Spec from an OCI config.json instead.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apparmor.hpp"
#include "caps.hpp"
#include "cgroup.hpp"
#include "console.hpp"
#include "host.hpp"
#include "landlock.hpp"
#include "masked.hpp"
#include "mnt.hpp"
#include "net.hpp"
#include "overlay.hpp"
#include "pid.hpp"
#include "process.hpp"
#include "rlimits.hpp"
#include "seccomp.hpp"
#include "state.hpp"
#include "timens.hpp"
#include "user.hpp"
#include "uts.hpp"
#include "volume.hpp"

namespace spec {

struct Spec {
    std::string program;                  // "05-pid", for messages
    std::filesystem::path rootfs;         // absolute
    bool explain = false;                 // --explain
    process::Process command;             // argv (default /bin/sh) and the clean environment
    std::vector<std::string> env;         // -e NAME=VALUE, as given
    console::Config console;              // which of fds 0-2 are terminals
    mnt::Table mounts;                    // 02+: what enter_root mounts
    std::vector<volume::Volume> volumes;  // 02+: -v, as given (rows of `mounts` once checked)
    uts::Names uts;                       // 03+: hostname and domain name
    pid::Settings pid;                    // 05+: --no-init
    host::Settings host;                  // 06+: --state-dir, --cleanup
    net::Settings net;                    // 06+: --net, --subnet, --ip, -p
    user::Settings user;                  // 07+: the user namespace and its maps
    cgroup::Limits cgroup;                // 08+: --memory, --memory-swap, --cpus, --pids-limit
    caps::Settings caps;                  // 09+: capabilities kept, no_new_privs, --user
    seccomp::Settings seccomp;            // 10+: --seccomp-profile
    masked::Settings masked;              // 11: masked and read-only paths
    rlimits::Settings rlimits;            // 11: --ulimit
    overlay::Settings overlay;            // 11: --read-only, --persist
    timens::Settings timens;              // 11: --time-offset
    landlock::Settings landlock;          // 11: --no-landlock
    apparmor::Settings apparmor;          // 11: --security-opt apparmor=...
    state::Settings state;                // 11: --name
};

}  // namespace spec
