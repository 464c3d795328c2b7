// chroot.hpp: chapter 01, changing what "/" means for a process.
//
// chroot(2) (Version 7 Unix, 1979) changes one thing: the directory a
// process's path lookups start from when a path begins with "/". Nothing
// else: the process still sees every other process, the mount table, the
// hostname, the network. And root inside can walk back out (see the lesson).
#pragma once

#include <filesystem>

// The namespace is change_root, not chroot: <unistd.h> already has a chroot.

namespace change_root {

// Makes `rootfs` the root directory of the calling process and moves into it.
void enter(const std::filesystem::path& rootfs);

// chdir(2) and chroot(2), each printed by --explain as it happens and
// checked: a failure names the call and its argument.
void chdir(const std::filesystem::path& dir);
void chroot(const std::filesystem::path& dir);

}  // namespace change_root
