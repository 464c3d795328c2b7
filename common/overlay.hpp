// overlay.hpp: chapter 11, a rootfs nobody writes into.
//
// Up to 10 the container writes into the user's rootfs directory itself:
// files it creates stay there after it ends, and a second container sees
// them. Container images are layers that never change; what a container
// writes goes to a layer of its own. overlayfs(5) does that (Linux 3.18;
// in a user namespace since 5.11):
//
//   lowerdir   the user's rootfs: read, never written
//   upperdir   where every write goes (a changed file is copied up first)
//   workdir    overlayfs's scratch space, on the same filesystem as upper
//
// mounted over the rootfs's own path, in the container's mount namespace
// only. The modes:
//   (default)      upper and work on a tmpfs of the container's own: the
//                  writes vanish with it, as with `docker run --rm`
//   --persist DIR  upper and work in DIR/upper and DIR/work, kept: look at
//                  what the container wrote, layer by layer
//   --read-only    no overlay: the root mount itself is made read-only after
//                  pivot_root (runc's readonly root). /tmp, /dev and the
//                  volumes stay writable: they are mounts of their own.
// The lower layer is reached through an fd opened before anything covers
// its path (lowerdir=/proc/self/fd/N), as crun does.
#pragma once

#include <filesystem>

#include "options.hpp"

namespace overlay {

struct Settings {
    bool read_only = false;          // --read-only
    std::filesystem::path persist;   // --persist DIR; empty: a tmpfs upper
    bool in_user_namespace = false;  // set by the chapter's options: userxattr needed
};

// In the child, before mnt::enter_root: the overlay over `rootfs`'s path
// (nothing with --read-only).
void mount_over(const std::filesystem::path& rootfs, const Settings& settings);

// In the child, after mnt::enter_root: with --read-only, "/" made read-only.
void finish(const Settings& settings);

// The option group: --read-only, --persist.
extern const cli::Group options;

}  // namespace overlay
