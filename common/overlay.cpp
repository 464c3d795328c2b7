// overlay.cpp: the container's root as an overlay (see overlay.hpp).
#include "overlay.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <optional>

#include "error.hpp"
#include "explain.hpp"
#include "fd.hpp"
#include "inroot.hpp"
#include "mnt.hpp"
#include "spec.hpp"
#include "user.hpp"

namespace overlay {

namespace fs = std::filesystem;

namespace {

using error::check_syscall;
using error::UsageError;

// mkdirat(2) of upper/ or work/ in `dir`; one left by an earlier run is fine.
void make_dir(const fd::Fd& dir, const char* name, const fs::path& shown) {
    explain::step({fmt::format("mkdirat(\"{}\")", (shown / name).string()),
                   "mkdir -p " + explain::shell_quote((shown / name).string()), "mkdir(2)"});
    if (::mkdirat(dir.get(), name, 0755) == -1 && errno != EEXIST)
        throw error::syscall_error(errno, fmt::format("mkdir(\"{}\")", (shown / name).string()));
}

// Where upper/ and work/ go: a fresh tmpfs mounted over the rootfs's path
// (the lower fd, opened before, still reaches the rootfs under it), or DIR.
fd::Fd layers_dir(const fs::path& rootfs, const Settings& s) {
    if (!s.persist.empty()) return inroot::open_directory(s.persist.string());
    mnt::mount("tmpfs", rootfs.string(), rootfs.string(), "tmpfs", MS_NOSUID | MS_NODEV,
               "mode=755,size=65536k");
    return inroot::open_directory(rootfs.string());
}

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_flag("--read-only", spec.overlay.read_only,
                 "Make the container's root read-only (no overlay): only /tmp, /dev and\n"
                 "volumes take writes.");
    app.add_option("--persist", spec.overlay.persist,
                   "Keep what the container writes in DIR/upper (the overlay's upper layer)\n"
                   "instead of a tmpfs that vanishes with it.")
        ->type_name("DIR");
}

void finish_options(spec::Spec& spec) {
    Settings& s = spec.overlay;
    s.in_user_namespace = spec.user.enabled;
    if (s.read_only && !s.persist.empty())
        throw UsageError("--read-only and --persist: a read-only root has no layer to keep");
    if (s.persist.empty()) return;
    if (!s.persist.is_absolute())
        throw UsageError(fmt::format("--persist {}: give an absolute path", s.persist.string()));
    struct stat st {};
    if (::stat(s.persist.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw UsageError(fmt::format("--persist {}: no such directory", s.persist.string()));
    s.persist = s.persist.lexically_normal();
    // The container's root makes upper/ and work/ and writes into them: in a
    // user namespace it is another uid on the host, which must own DIR.
    std::optional<uint32_t> root_outside =
        spec.user.enabled ? user::outside_id(spec.user.uids, 0) : std::optional<uint32_t>(0);
    if (root_outside && st.st_uid != *root_outside)
        throw UsageError(fmt::format(
            "--persist {}: the container's root is uid {} on the host, and DIR belongs to uid {}: "
            "chown {} {}",
            s.persist.string(), *root_outside, st.st_uid, *root_outside, s.persist.string()));
    fs::path rootfs = spec.rootfs.lexically_normal();
    auto [a, b] = std::mismatch(rootfs.begin(), rootfs.end(), s.persist.begin(), s.persist.end());
    if (a == rootfs.end() || b == s.persist.end())
        throw UsageError(fmt::format(
            "--persist {}: it must be outside the rootfs {}, and the rootfs outside it: "
            "overlayfs refuses layers inside one another",
            s.persist.string(), rootfs.string()));
}

}  // namespace

void mount_over(const fs::path& rootfs, const Settings& s) {
    if (s.read_only) return;
    // Nothing we mount may reach the host: cut propagation first (as
    // enter_root will again), mount_namespaces(7).
    mnt::mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    fd::Fd lower = inroot::open_directory(rootfs.string());
    fd::Fd layers = layers_dir(rootfs, s);
    fs::path shown = s.persist.empty() ? rootfs / "(tmpfs)" : s.persist;
    make_dir(layers, "upper", shown);
    make_dir(layers, "work", shown);
    // In a user namespace the kernel lets overlayfs keep its own metadata
    // (whiteouts, opaque directories) only in user.* xattrs: userxattr.
    std::string data = fmt::format(
        "lowerdir={},upperdir={}/upper,workdir={}/work{}", inroot::fd_path(lower),
        inroot::fd_path(layers), inroot::fd_path(layers), s.in_user_namespace ? ",userxattr" : "");
    explain::note(fmt::format("{} is the rootfs {}; {} holds upper/ and work/",
                              inroot::fd_path(lower), rootfs.string(), inroot::fd_path(layers)));
    mnt::mount("overlay", rootfs.string(), rootfs.string(), "overlay", 0, data.c_str());
}

void finish(const Settings& s) {
    if (!s.read_only) return;
    explain::step({"mount_setattr(\"/\", MOUNT_ATTR_RDONLY)", "mount -o remount,bind,ro /",
                   "mount_setattr(2)"});
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    // Not AT_RECURSIVE: /dev, /tmp, /proc and the volumes keep their own flags.
    check_syscall(::mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr),
                  "mount_setattr(\"/\", MOUNT_ATTR_RDONLY)");
}

const cli::Group options{"overlay", add_options, finish_options};

}  // namespace overlay
