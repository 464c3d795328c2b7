// volume.hpp: -v HOSTDIR:CONTAINERDIR[:ro], a host directory in the container.
//
// A volume is a bind mount (mount(2) MS_BIND): the same directory, seen at a
// second place. The runtime makes it a row of the mount table (mnt.hpp), so
// it is mounted with the others, before pivot_root(2), while the host's
// directories can still be named. Chapter 02 onward has them.
//
// Two sides, two rules:
//   HOSTDIR       the user's own path on the host: absolute, and it must be
//                 an existing directory (checked before the container starts)
//   CONTAINERDIR  a path in the rootfs, which is untrusted: resolved inside it
//                 (inroot::resolve: symlinks are followed as the container
//                 will see them, and refused if they lead out of it). It must
//                 exist: the runtime never writes into the rootfs, so it does
//                 not create a missing one.
//   :ro           read-only, all of it (the mounts under HOSTDIR too).
//
// Who owns the files in a volume is the lesson of chapter 07: without a user
// namespace the container's root is the host's root, and may rewrite any of
// them; with one, it is an unprivileged uid (100000) on the host.
#pragma once

#include <string>
#include <string_view>

#include "mnt.hpp"
#include "options.hpp"

namespace volume {

struct Volume {
    std::string source;  // HOSTDIR, absolute and normalised
    std::string target;  // CONTAINERDIR, as the container sees it
    bool read_only = false;
};

// Parses "HOSTDIR:CONTAINERDIR[:ro|:rw]", checking the text only (absolute
// paths, no "..", a known mode). Throws error::UsageError.
Volume parse(std::string_view text);

// The mount table's row for a volume (bind, read-only if asked).
mnt::Mount row(const Volume& volume);

// The option group: -v/--volume (repeatable). Its checks need the rootfs and
// the rows of the mount mechanism, so list it after mnt::options.
extern const cli::Group options;

}  // namespace volume
