// mnt.hpp: chapter 02, a mount namespace and a real new root.
//
// chroot(2) only moves the start of path lookups; the old root is still
// mounted and reachable. Here the container gets its own mount table
// (mount_namespaces(7)), makes the rootfs the root *of that table* with
// pivot_root(2), and detaches the host's tree entirely. Then it mounts the
// kernel filesystems a Linux program expects: /proc, /sys, a minimal /dev,
// and a private /tmp.
//
// Every mount below happens inside the container's private mount namespace:
// the kernel drops them all when the last process in it exits, so there is
// nothing to unmount by hand and nothing left on the host.
#pragma once

#include <filesystem>

namespace mnt {

// The whole chapter in one call, in this order (each step prints with --explain):
//   make_rprivate, bind the rootfs onto itself, populate_dev, pivot_into,
//   then /proc, /sys (read-only) and /tmp.
// Must run in a new mount namespace.
void enter_root(const std::filesystem::path& rootfs);

// mount --make-rprivate /: stop mount events propagating to or from the host.
void make_rprivate();

// A tmpfs /dev holding only the devices every container gets: null, zero,
// full, random, urandom, tty (bind-mounted from the host's), a private
// devpts, /dev/shm, and the fd, stdin, stdout, stderr links.
void populate_dev(const std::filesystem::path& rootfs);

// pivot_root(2) into `rootfs` (already a mount point) and detach the old root.
void pivot_into(const std::filesystem::path& rootfs);

// mount(2) that prints itself with --explain and names itself on failure.
void mount(const char* source, const std::filesystem::path& target, const char* type,
           unsigned long flags, const char* data);

}  // namespace mnt
