// landlock.cpp: the container's Landlock ruleset (see landlock.hpp).
#include "landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstdint>

#include "error.hpp"
#include "explain.hpp"
#include "fd.hpp"
#include "say.hpp"
#include "spec.hpp"

// Newer than Debian 12's linux/landlock.h.
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)  // ABI 3, Linux 6.2
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)  // ABI 5, Linux 6.10
#endif

namespace landlock {

namespace {

using error::check_syscall;

constexpr uint64_t kRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr uint64_t kExecute = LANDLOCK_ACCESS_FS_EXECUTE;
// Every access ABI 1 knows, and what each later ABI adds.
constexpr uint64_t kAbi1 = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
constexpr uint64_t kAbi2 = kAbi1 | LANDLOCK_ACCESS_FS_REFER;
constexpr uint64_t kAbi3 = kAbi2 | LANDLOCK_ACCESS_FS_TRUNCATE;
constexpr uint64_t kAbi5 = kAbi3 | LANDLOCK_ACCESS_FS_IOCTL_DEV;

// What this kernel can handle: asking for more is EINVAL.
uint64_t handled_for(int abi) {
    return abi >= 5 ? kAbi5 : abi >= 3 ? kAbi3 : abi >= 2 ? kAbi2 : kAbi1;
}

// Beneath `path`: `access` (limited to what the ruleset handles).
void allow(const fd::Fd& ruleset, const std::string& path, uint64_t access, uint64_t handled,
           const char* what) {
    fd::Fd dir{check_syscall(::open(path.c_str(), O_PATH | O_CLOEXEC),
                             fmt::format("open(\"{}\", O_PATH)", path))};
    explain::step(
        {fmt::format("landlock_add_rule(LANDLOCK_RULE_PATH_BENEATH, \"{}\", {})", path, what),
         fmt::format("(no shell command: landlock rule {} on {})", what, path),
         "landlock_add_rule(2)"});
    landlock_path_beneath_attr rule{};
    rule.allowed_access = access & handled;
    rule.parent_fd = dir.get();
    check_syscall(static_cast<int>(::syscall(SYS_landlock_add_rule, ruleset.get(),
                                             LANDLOCK_RULE_PATH_BENEATH, &rule, 0)),
                  fmt::format("landlock_add_rule(\"{}\")", path));
}

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_flag_function(
        "--no-landlock", [&spec](std::int64_t) { spec.landlock.enabled = false; },
        "Do not confine the container with Landlock (landlock(7)).");
}

void finish_options(spec::Spec& spec) {
    Settings& s = spec.landlock;
    // /dev/mqueue apart from /dev: mq_open(3) reaches its queues through the
    // IPC namespace's own internal mount of that filesystem, never through
    // /dev, and Landlock finds a rule by walking up from the file: only a
    // rule on the filesystem's root directory itself (the same inode as
    // /dev/mqueue) is met on that walk.
    s.writable = {"/tmp", "/dev", "/dev/mqueue", "/proc"};
    for (const volume::Volume& v : spec.volumes)
        if (!v.read_only) s.writable.push_back(v.target);
}

}  // namespace

int abi_version() {
    long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : static_cast<int>(abi);
}

void restrict_self(const Settings& s) {
    if (!s.enabled) return;
    int abi = abi_version();
    if (abi == 0) {
        say::line(
            fmt::format("{}: this kernel has no Landlock (landlock(7)): the container "
                        "starts without it",
                        program_invocation_short_name));
        return;
    }
    uint64_t handled = handled_for(abi);
    explain::step(
        {fmt::format("landlock_create_ruleset(handled_access_fs=0x{:x}) (ABI {})", handled, abi),
         "(no shell command: a Landlock ruleset)", "landlock_create_ruleset(2)"});
    landlock_ruleset_attr attr{};
    attr.handled_access_fs = handled;
    fd::Fd ruleset{check_syscall(
        static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)),
        "landlock_create_ruleset")};
    allow(ruleset, "/", kRead | kExecute, handled, "read, execute");
    for (const std::string& path : s.writable)
        allow(ruleset, path,
              handled & ~(LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_CHAR), handled,
              "read, write");
    explain::step({"landlock_restrict_self(ruleset)", "(no shell command: setpriv has none)",
                   "landlock_restrict_self(2)"});
    check_syscall(static_cast<int>(::syscall(SYS_landlock_restrict_self, ruleset.get(), 0)),
                  "landlock_restrict_self");
}

const cli::Group options{"landlock", add_options, finish_options};

}  // namespace landlock
