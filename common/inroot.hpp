// inroot.hpp: paths resolved inside the rootfs, never through a symlink.
//
// A rootfs is untrusted input: whoever built it may have made /dev a
// symlink to the host's /, or /proc a link through `../../..`. A runtime
// that mounts on "ROOTFS/dev" by name follows such a link *as the host sees
// it* and mounts on the host (runc's CVE-2019-19921 and CVE-2021-30465 are
// this bug). So the runtime never mounts on or creates a path by name:
//
//   1. it opens the target with openat2(2) relative to an fd of the rootfs,
//      with RESOLVE_IN_ROOT (".." and absolute paths stop at the rootfs) and
//      RESOLVE_NO_SYMLINKS (any symlink on the way is an error, not a jump);
//   2. it checks what it got (a directory, a regular file);
//   3. it mounts onto "/proc/self/fd/N", the very object it checked, so the
//      path cannot be swapped for a symlink between the check and the mount.
//
// openat2(2) is Linux 5.6 (2020); glibc 2.36 has no wrapper for it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "fd.hpp"

namespace inroot {

enum class Kind { directory, regular_file };

// Opens `path` ("/dev/pts", as the container will see it) inside the tree
// of `root` as an O_PATH fd, refusing symlinks. The result must be a `kind`.
// On failure throws a std::runtime_error whose message names the path and
// what is wrong with it: "/dev is a symlink (to /): unshared will not follow
// it out of the rootfs".
fd::Fd open(const fd::Fd& root, std::string_view path, Kind kind);

// As open(), for a path that may be missing and may be a directory or a
// file (/proc/kcore, /proc/acpi: kernels differ): an invalid Fd if it is
// not there. `kind` says which it is. Symlinks refused as above.
fd::Fd open_if_present(const fd::Fd& root, std::string_view path, Kind& kind);

// Creates `path` inside the tree of `root` (its parent must already be
// there, found the same way) and returns it opened as above. Used for the
// mount points the runtime makes in its own tmpfs /dev.
fd::Fd make(const fd::Fd& root, std::string_view path, Kind kind, mode_t mode);

// Why `path` cannot be used as a `kind` inside `root`: "" when it can.
// The same words as open()'s errors, for the checks done before the
// container starts (bad input: exit status 2).
std::string problem(const fd::Fd& root, std::string_view path, Kind kind);

// The path `path` names inside `root` once every symlink on the way is
// expanded the way the container will see it: an absolute link starts again
// at `root` ("/var/run" -> "/run", never the host's /run). A link whose ".."
// would climb above `root` leads out of the rootfs: refused, not clamped,
// as is a missing component. Returns the expanded path, free of symlinks,
// for open() above ("/run/x"); throws std::runtime_error naming the problem.
// For the mount points the user names (-v): a rootfs may well hold links.
std::string resolve(const fd::Fd& root, std::string_view path);

// True if `path` exists inside `root`, following symlinks as the container
// would: they may point anywhere, but they resolve inside `root`
// (RESOLVE_IN_ROOT). For checks such as "is there a /bin/sh?".
bool exists(const fd::Fd& root, std::string_view path);

// The contents of the regular file `path` inside `root`, symlinks followed
// as for exists() (they resolve inside `root`), at most `limit` bytes. For
// the files the runtime reads from the rootfs (/etc/passwd for --user).
// Throws a std::runtime_error naming the path: missing, not a regular
// file, too big, unreadable.
std::string read_file(const fd::Fd& root, std::string_view path, size_t limit);

// "/proc/self/fd/N": the name through which mount(2) reaches an fd.
std::string fd_path(const fd::Fd& fd);

// open(2) of a directory the user named (the rootfs itself), O_PATH.
fd::Fd open_directory(const std::string& path);

}  // namespace inroot
