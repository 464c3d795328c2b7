// cgroup.hpp: chapter 08, limits that hold (memory, CPU, processes).
//
// Namespaces change what a process can *see*; none limits what it can *use*.
// A container of chapters 01-07 can fork until the host's process table is
// full, allocate until the host's OOM killer picks a victim anywhere, or spin
// every CPU. Control groups (cgroups(7)) fix that: the kernel counts the
// memory, CPU time and processes of a group of processes and enforces the
// limits written into files of a directory in the cgroup filesystem.
//
// Two generations of that filesystem exist, and learners have both:
//   v2 (Linux 4.5; Ubuntu 22.04+, Debian 12, Fedora): ONE hierarchy at
//      /sys/fs/cgroup. A cgroup is one directory; a controller works in it
//      only once its parent lists it in cgroup.subtree_control; and a cgroup
//      that has controllers enabled for its children holds no process itself
//      ("no internal processes"). clone3(2) CLONE_INTO_CGROUP (Linux 5.7)
//      starts a child directly inside a cgroup.
//   v1 (the "hybrid" layout of older systemd hosts, and of this project's CI):
//      one hierarchy PER CONTROLLER, /sys/fs/cgroup/memory, .../cpu,
//      .../pids: a cgroup is one directory in each, and a process joins by
//      having its pid written into each directory's cgroup.procs.
// The layout is detected as crun does, with statfs(2) on /sys/fs/cgroup:
// CGROUP2_SUPER_MAGIC means v2; otherwise each controller's directory must be
// a v1 cgroup filesystem (CGROUP_SUPER_MAGIC).
//
// One interface, two small backends; their difference is a table of file
// names (Docker's options in brackets):
//   limit                  v1 file                        v2 file
//   memory [--memory]      memory.limit_in_bytes          memory.max
//   swap [--memory-swap]   memory.memsw.limit_in_bytes    memory.swap.max
//   CPU [--cpus]           cpu.cfs_quota_us + _period_us  cpu.max ("quota period")
//   processes [--pids-limit] pids.max                     pids.max
//   out of memory?         memory.oom_control (oom_kill)  memory.events (oom_kill)
//   kill every process     (SIGKILL each of cgroup.procs) cgroup.kill (Linux 5.14)
//
// Where the container's cgroup goes: <base>/unshared/<name> in each
// hierarchy, where <base> is the hierarchy's root, or the directory that
// UNSHARED_CGROUP_PARENT names in it (':'-separated, one per hierarchy; the
// tests confine themselves this way). Every directory is journalled in the
// host::Ledger BEFORE its mkdir(2); the undo of a container's cgroup kills
// what is left in it and removes it, retrying while the kernel says EBUSY
// (processes still exiting). The `unshared` parent is removed by whoever
// leaves it empty (rmdir(2) of a cgroup with children fails: EBUSY); its
// undo never kills: on v2, cgroup.kill there would end every container.
// On v2 the controllers enabled in <base>'s cgroup.subtree_control stay
// enabled, as Docker and runc leave them: other cgroups may rely on them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "mnt.hpp"
#include "options.hpp"

namespace host {
class Ledger;
}

namespace cgroup {

// What the container may use (spec.cgroup). Unset: no limit, the kernel's default.
struct Limits {
    std::optional<uint64_t> memory;       // --memory: bytes of RAM
    std::optional<uint64_t> memory_swap;  // --memory-swap: RAM plus swap (Docker's meaning)
    std::optional<double> cpus;           // --cpus: CPUs' worth of time (0.5: half of one)
    std::optional<uint64_t> pids;         // --pids-limit: processes and threads at once
};

// --memory-swap -1: no limit on swap.
inline constexpr uint64_t kUnlimited = UINT64_MAX;
// The CFS period Docker uses: --cpus 0.5 is 50000 us of CPU time per 100000 us.
inline constexpr uint64_t kCpuPeriodUs = 100000;
// Docker's smallest --memory: below it a container barely starts.
inline constexpr uint64_t kMinMemory = 6 * 1024 * 1024;
// PID_MAX_LIMIT on 64-bit: pids.max refuses more (EINVAL).
inline constexpr uint64_t kMaxPids = 4194304;

// The option group: --memory, --memory-swap, --cpus, --pids-limit. Its
// finish also adds the container's read-only view of its own cgroup to
// spec.mounts: list it AFTER mnt::options, whose finish fills that table.
extern const cli::Group options;

// --- parsing (bad input: error::UsageError, one line, exit 2) -------------

// "64M", "64m", "65536k", "1g", "1G", "67108864" (bytes; a trailing b or B
// is allowed: "64mb"). `option` names it in the message.
uint64_t parse_size(std::string_view text, std::string_view option);
// 0.01 to `cpus_here` (the CPUs this process may run on), as Docker's --cpus.
double parse_cpus(std::string_view text, unsigned cpus_here);
// 1 to kMaxPids.
uint64_t parse_pids(std::string_view text);
// Checks the options together (--memory-swap needs --memory, and no less).
void check(const Limits& limits);

// 67108864 -> "64M", 1536 -> "1536" (the largest unit that divides it).
std::string format_size(uint64_t bytes);
// The CPUs this process may run on: sched_getaffinity(2).
unsigned cpus_available();

// --- the layout and the table of files ------------------------------------

enum class Version { v1, v2 };

// One mounted hierarchy the container gets a directory in.
struct Hierarchy {
    std::filesystem::path root;            // /sys/fs/cgroup (v2), /sys/fs/cgroup/memory (v1)
    std::vector<std::string> controllers;  // ours it holds; v1: all mounted there ("cpu,cpuacct")
};

struct Layout {
    Version version;
    std::vector<Hierarchy> hierarchies;  // v2: exactly one
};

// statfs(2) of /sys/fs/cgroup, then (v1) of each controller's directory,
// with /proc/cgroups saying which controllers share a hierarchy.
Layout detect();

// One file to write to set a limit.
struct Write {
    std::string controller;  // "memory": which hierarchy's directory (v1)
    std::string file;        // "memory.max"
    std::string value;       // "67108864"
};

// The files and values that set `limits`, in the order to write them
// (memory before swap: v1 refuses a memsw limit below the memory limit).
// `swap_file`: whether the kernel offers the swap file (memory.swap.max or
// memory.memsw.*; it needs swap accounting). Unset --memory-swap with
// --memory gives as much swap as memory where it can, as Docker does.
// Throws error::UsageError if --memory-swap was given and it cannot be set.
std::vector<Write> writes_for(const Limits& limits, Version version, bool swap_file);

// The file name of each limit in each version (the table above).
struct FileNames {
    std::string_view memory, swap, cpu, pids, oom;
};
const FileNames& files_of(Version version);

// --- the container's cgroup -------------------------------------------------

// The container's cgroup, made by create(). The Ledger removes it (scope
// exit, or the next run after a SIGKILL), not this object.
class Cgroup {
  public:
    struct Dir {
        std::filesystem::path path;            // /sys/fs/cgroup/memory/unshared/web1-4242
        std::vector<std::string> controllers;  // of its hierarchy
        fd::Fd fd;                             // the directory, O_RDONLY|O_DIRECTORY
    };

    Cgroup(Version version, std::vector<Dir> dirs, Limits limits);

    Version version() const { return version_; }
    const std::vector<Dir>& dirs() const { return dirs_; }
    // The directories' paths, for the container's state (state.hpp).
    std::vector<std::string> paths() const;

    // For process::Spawn::cgroup_fd: v2's directory, so that the child is
    // born inside it (clone3 CLONE_INTO_CGROUP, atomic). -1 on v1.
    int fd() const;

    // v1: writes `pid` into cgroup.procs of every directory, while the child
    // waits on the sync channel (it runs nothing until released). v2: the
    // child was born inside (fd() above), nothing to do.
    void attach(pid_t pid) const;

    // Processes the kernel's OOM killer ended in the cgroup (v2
    // memory.events, v1 memory.oom_control), 0 without a memory controller.
    uint64_t oom_kills() const;

    // CPU time used so far (v2 cpu.stat usage_usec, v1 cpuacct.usage);
    // nullopt when v1's cpuacct is not mounted.
    std::optional<std::chrono::microseconds> cpu_usage() const;

    // After the container ended with `status`: if the OOM killer ended any of
    // its processes, says so in one line ("out of memory: the container hit
    // its 64M memory limit"). Returns `status` unchanged (137 for SIGKILL).
    int report_oom(int status) const;

    // The directory of the hierarchy that holds `controller` (v2: the one).
    const Dir* dir_with(std::string_view controller) const;

  private:
    Version version_;
    std::vector<Dir> dirs_;
    Limits limits_;
};

// "web1-4242": a cgroup name for this run of the container named `hostname`,
// unique while the run lives (its pid).
std::string name_for(std::string_view hostname);

// In the runtime, before spawning: detects the layout and makes
// <base>/unshared/<name> in every hierarchy (journalled in `host` first),
// enables the controllers on the way (v2), and writes the limits. Errors
// name the file and say what to do (systemd delegation, a busy parent).
Cgroup create(host::Ledger& host, const Limits& limits, std::string_view name);

// The directories a running container is in (its state lists them), for
// `exec`: the new process joins them, as `docker exec` does, so the
// container's limits count it too. Makes nothing: the run that made them
// removes them.
Cgroup open_existing(const std::vector<std::string>& paths);

// In the child, once it is in its cgroup: a new cgroup namespace
// (cgroup_namespaces(7), Linux 4.6), whose root is the cgroup it is in now.
// /proc/self/cgroup then reads "0::/", and a cgroup filesystem mounted
// afterwards shows the container's own cgroup as its root.
void enter_namespace();

// The rows of the container's view of its cgroup: the cgroup filesystem
// mounted read-only on /sys/fs/cgroup (v2), or a tmpfs there with each of
// our v1 hierarchies mounted read-only below it. Mounted after
// enter_namespace(), it shows the container's own cgroup as the root, and
// read-only means it can neither raise its limits nor move itself out.
mnt::Table view_mounts(const Layout& layout);

// The journal kinds (host.hpp), registered when this file is linked in:
//   cgroup-dir     a container's cgroup: kill what is left, rmdir, retry on EBUSY
//   cgroup-parent  the `unshared` parent: rmdir once it is empty
inline constexpr std::string_view kDirKind = "cgroup-dir";
inline constexpr std::string_view kParentKind = "cgroup-parent";

}  // namespace cgroup
