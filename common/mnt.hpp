// mnt.hpp: chapter 02, a mount namespace and a real new root.
//
// chroot(2) only moves the start of path lookups; the old root is still
// mounted and reachable. Here the container gets its own mount table
// (mount_namespaces(7)), makes the rootfs the root *of that table* with
// pivot_root(2), and detaches the host's tree entirely. Before that, it
// mounts the kernel filesystems a Linux program expects: /proc, /sys, a
// minimal /dev, and a private /tmp.
//
// The mounts are a table (Table, below): chapter 02 fills it, later chapters
// add rows (04: /dev/mqueue; 06: /etc/hosts and /etc/resolv.conf; later:
// volumes, masked and read-only paths).
// Every target is opened inside the rootfs without following a symlink and
// mounted on through its fd (inroot.hpp): a rootfs is untrusted input.
//
// Every mount below happens inside the container's private mount namespace:
// the kernel drops them all when the last process in it exits, so there is
// nothing to unmount by hand and nothing left on the host.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "options.hpp"

namespace mnt {

// What a row's target must be before the mount.
enum class Target {
    in_rootfs,       // a directory the rootfs must have (/proc): checked, never created
    user_dir,        // a directory the user named (-v): it must exist; symlinks on the
                     // way are followed as the container sees them (inroot::resolve)
    new_dir,         // a directory the runtime creates in its own tmpfs (/dev/pts)
    new_file,        // an empty file the runtime creates in its own tmpfs (/dev/null)
    mounted,         // a directory in a filesystem an earlier row mounts (/sys/fs/cgroup in
                     // /sys): opened like in_rootfs, but not looked for before the start
    in_rootfs_file,  // a regular file of the rootfs (/etc/hosts); skipped if it has none
    if_present,      // a directory or file in a kernel filesystem an earlier row mounts
                     // (/proc/kcore, /proc/acpi): kernels differ, so skipped if absent
};

struct Mount {
    std::string target;   // as the container sees it: "/proc"
    std::string source;   // "proc"; for a bind mount, the host's path ("/dev/null"), or
                          // "" to bind the target onto itself (to make it read-only)
    std::string type;     // "proc"; empty for a bind mount
    unsigned long flags;  // MS_BIND|MS_RDONLY: bound, then made read-only (all of it)
    std::string data;     // filesystem options: "mode=755"
    Target how;
    std::string_view added_by;  // the chapter that teaches it: "02-mnt"
};

// The mounts, in the order they are made (a parent before what is under it).
using Table = std::vector<Mount>;

// Chapter 02's rows: a tmpfs /dev with the devices every container gets
// (null, zero, full, random, urandom, tty, bound from the host's), a private
// devpts, /dev/shm, then /proc, /sys (read-only) and /tmp.
Table container_mounts();

// Removes `option` ("gid=5") from the data of the row mounted on `target`:
// for options a later chapter's setting makes the kernel reject.
void drop_option(Table& table, std::string_view target, std::string_view option);

// The option group of the chapters that have a mount namespace: fills
// spec.mounts, checks the rootfs has what they need (bad input: exit 2).
extern const cli::Group options;

// The whole chapter in one call, in this order (each step prints with --explain):
//   make "/" recursively private, bind the rootfs onto itself, every row of
//   `mounts` and the /dev links (mount_table), pivot_root, detach the old
//   root. Must run in a new mount namespace.
void enter_root(const std::filesystem::path& rootfs, const Table& mounts);

// Mounts every row of `mounts` on the mount whose root is the directory
// `root` (the rootfs, at `rootfs` as the learner sees it), then the /dev links.
void mount_table(const fd::Fd& root, const std::filesystem::path& rootfs, const Table& mounts);

// fchdir(2), pivot_root(2) (which has no glibc wrapper) and umount2(2)
// (unmount: glibc's umount2 would make a call with MNT_DETACH ambiguous),
// each printed by --explain as it happens and checked: a failure names the
// call. `shown` is the path of `dir`, for --explain and messages.
void fchdir(const fd::Fd& dir, const std::filesystem::path& shown);
void pivot_root(const char* new_root, const char* put_old);
void unmount(const char* target, int flags);

// mount(2) that prints itself with --explain and names itself on failure.
// `target` is what the call gets ("/proc/self/fd/7"), `shown` what the
// learner reads ("/srv/rootfs/proc").
void mount(const char* source, const std::string& target, std::string_view shown, const char* type,
           unsigned long flags, const char* data);

// Why `rootfs` cannot hold `mounts`, or "" when it can: the check done
// before the container starts, so that bad input is exit 2, not 125.
std::string rootfs_problem(const std::filesystem::path& rootfs, const Table& mounts);

}  // namespace mnt
