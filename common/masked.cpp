// masked.cpp: the masked and read-only paths of a container (see masked.hpp).
#include "masked.hpp"

#include <sys/mount.h>

#include <CLI/CLI.hpp>

#include <string_view>

#include "error.hpp"
#include "spec.hpp"

namespace masked {

namespace {

// The files and directories runc's default spec and Docker mask
// (Docker adds /proc/interrupts and /sys/devices/virtual/powercap).
constexpr std::string_view kMaskedFiles[] = {
    "/proc/kcore",       "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/interrupts",
};
constexpr std::string_view kMaskedDirectories[] = {
    "/proc/acpi", "/proc/asound", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
};
// Readable, never writable: bus and IRQ settings, filesystem tunables, the
// kernel's sysctls, and the magic SysRq key.
constexpr std::string_view kReadOnly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

constexpr unsigned long kNothingAllowed = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_flag_function(
        "--no-masked-paths", [&spec](std::int64_t) { spec.masked.enabled = false; },
        "Leave /proc/kcore, /proc/sys, /sys/firmware and the other masked and\n"
        "read-only paths as the kernel shows them (to see what masking changes).");
}

void finish_options(spec::Spec& spec) {
    if (!spec.masked.enabled) return;
    for (mnt::Mount& row : rows()) spec.mounts.push_back(std::move(row));
}

}  // namespace

mnt::Table rows() {
    mnt::Table table;
    // EXERCISE 11-full: the rows that hide the kernel's files: each masked file covered,
    //   each masked directory emptied, each read-only path kept readable but never writable.
    // TOOLS: a mnt::Mount row (mnt.hpp): {target, source, type, flags, data, how,
    //   added_by}; a bind mount has no type, and "" as its source binds the target onto
    //   itself. The child mounts the rows after /proc and /sys, before pivot_root(2).
    // TOOLS: the lists kMaskedFiles, kMaskedDirectories and kReadOnly above, and
    //   kNothingAllowed (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC).
    // QUESTION: Which filesystem can be mounted over a file, and which only over a
    //   directory? What does a read of /dev/null give, and a write to it?
    // QUESTION: /proc/sys holds the machine's sysctls and the container's own (its
    //   hostname, its network): why make it read-only rather than hide it?
    // QUESTION: Not every kernel has /proc/timer_stats or /proc/acpi: what should a
    //   row do when its target is missing? See mnt::Target in mnt.hpp.
    // HINT: Only a bind mount can cover a single file (mount(2), MS_BIND): which
    //   harmless file of the host, bound over /proc/kcore, reads as empty?
    // HINT: An empty tmpfs(5) hides a directory; it must not take writes either (4k of
    //   room is enough for nothing). A bind mount ignores MS_RDONLY on its first
    //   call: the table's mount() makes the second step for a row with both.
    // HINT: Shape: three loops, one per list; files: /dev/null bound (MS_BIND);
    //   directories: "tmpfs", "tmpfs", kNothingAllowed, "size=4k"; read-only: bound
    //   onto itself (source "") with MS_BIND | MS_REC | MS_RDONLY; every row
    //   mnt::Target::if_present, added by "11-full".
    for (std::string_view file : kMaskedFiles)
        table.push_back(
            {std::string(file), "/dev/null", "", MS_BIND, "", mnt::Target::if_present, "11-full"});
    for (std::string_view dir : kMaskedDirectories)
        table.push_back({std::string(dir), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                         mnt::Target::if_present, "11-full"});
    // Bound onto itself (no source), then made read-only (MS_RDONLY on a bind).
    for (std::string_view path : kReadOnly)
        table.push_back({std::string(path), "", "", MS_BIND | MS_REC | MS_RDONLY, "",
                         mnt::Target::if_present, "11-full"});
    // END EXERCISE
    return table;
}

const cli::Group options{"masked", add_options, finish_options};

}  // namespace masked
