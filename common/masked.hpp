// masked.hpp: chapter 11, the kernel's files a container has no business with.
//
// A container's /proc and /sys are the kernel's own: even with their own
// namespaces, some of their files speak of the whole machine. /proc/kcore
// is its memory as an ELF core file, /proc/keys lists keys of every user
// namespace's keyrings that the reader may view, /proc/timer_list and
// /proc/sched_debug show every process's timers and scheduling on the host,
// /sys/firmware its firmware tables; and a root that can write
// /proc/sysrq-trigger can reboot the machine, one that can write
// /proc/sys/kernel/core_pattern can have a program of its choosing run by
// the kernel as host root when something crashes.
//
// So, as runc and Docker do (reference.md), two lists of rows for the mount
// table, mounted after /proc and /sys:
//   masked     a file: /dev/null bound over it (reads are empty, writes go
//              nowhere); a directory: an empty read-only tmpfs over it.
//   read-only  bound onto itself, then made read-only (mount_setattr(2)):
//              readable as before, never writable, whatever the capabilities.
// Each row is skipped if this kernel has no such file (Target::if_present).
// --no-masked-paths leaves them all as they are, to show what they change
// (Docker: --security-opt systempaths=unconfined).
#pragma once

#include "mnt.hpp"
#include "options.hpp"

namespace masked {

struct Settings {
    bool enabled = true;  // false: --no-masked-paths
};

// The rows, in order: the masked files, the masked directories, the
// read-only paths.
mnt::Table rows();

// The option group: --no-masked-paths. Its finish appends rows() to
// spec.mounts: list it AFTER mnt::options, whose finish fills that table.
extern const cli::Group options;

}  // namespace masked
