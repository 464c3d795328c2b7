// spec.hpp: a container, described as one value.
//
// The command line fills it (each mechanism's option group fills its own
// slice), the chapter's storyline reads it. A later chapter can fill the
// same Spec from an OCI config.json instead.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "console.hpp"
#include "host.hpp"
#include "mnt.hpp"
#include "net.hpp"
#include "pid.hpp"
#include "process.hpp"
#include "uts.hpp"

namespace spec {

struct Spec {
    std::string program;           // "05-pid", for messages
    std::filesystem::path rootfs;  // absolute
    bool explain = false;          // --explain
    process::Process command;      // argv (default /bin/sh) and the clean environment
    std::vector<std::string> env;  // -e NAME=VALUE, as given
    console::Config console;       // which of fds 0-2 are terminals
    mnt::Table mounts;             // 02+: what enter_root mounts
    uts::Names uts;                // 03+: hostname and domain name
    pid::Settings pid;             // 05+: --no-init
    host::Settings host;           // 06+: --state-dir, --cleanup
    net::Settings net;             // 06+: --net, --subnet, --ip, -p
};

}  // namespace spec
