#include "mnt.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <array>
#include <string>
#include <string_view>

#include "error.hpp"
#include "explain.hpp"
#include "inroot.hpp"
#include "spec.hpp"

namespace mnt {

using error::check_syscall;
namespace fs = std::filesystem;

namespace {

// The device nodes of every OCI container (runtime-spec, config-linux.md).
constexpr std::array<std::string_view, 6> kDevices{"null",   "zero",    "full",
                                                   "random", "urandom", "tty"};

// The links every program expects in /dev, pointing into /proc/self.
struct Link {
    std::string_view name, target;
};
constexpr std::array<Link, 5> kDevLinks{{{"fd", "/proc/self/fd"},
                                         {"stdin", "/proc/self/fd/0"},
                                         {"stdout", "/proc/self/fd/1"},
                                         {"stderr", "/proc/self/fd/2"},
                                         {"ptmx", "pts/ptmx"}}};

// The shell spelling of mount(2) flags, for --explain.
std::string mount_options(unsigned long flags, const char* data) {
    std::string options;
    auto add = [&](std::string_view o) {
        options += (options.empty() ? "" : ",") + std::string(o);
    };
    if (flags & MS_RDONLY) add("ro");
    if (flags & MS_NOSUID) add("nosuid");
    if (flags & MS_NODEV) add("nodev");
    if (flags & MS_NOEXEC) add("noexec");
    if (flags & MS_STRICTATIME) add("strictatime");
    if (data != nullptr && *data != '\0') add(data);
    return options.empty() ? "" : " -o " + options;
}

std::string shell_for_mount(const char* source, std::string_view target, const char* type,
                            unsigned long flags, const char* data) {
    std::string where = explain::shell_quote(target);
    if (flags & MS_PRIVATE)
        return fmt::format("mount --make-{}private {}", flags & MS_REC ? "r" : "", where);
    if (flags & MS_BIND)
        return fmt::format("mount --{}bind {} {}", flags & MS_REC ? "r" : "",
                           explain::shell_quote(source), where);
    return fmt::format("mount -t {}{} {} {}", type, mount_options(flags, data), source, where);
}

// The mount point a row needs: checked if the rootfs must have it, created
// (in the runtime's own tmpfs) if not. Either way resolved inside the root.
// An invalid Fd: a file row whose file the rootfs does not have (skipped).
fd::Fd target_of(const fd::Fd& root, const fs::path& rootfs, const Mount& row) {
    if (row.how == Target::in_rootfs)
        return inroot::open(root, row.target, inroot::Kind::directory);
    if (row.how == Target::in_rootfs_file) {
        if (!inroot::exists(root, row.target)) {
            explain::note(fmt::format("the rootfs has no {}: nothing mounted there", row.target));
            return fd::Fd{};
        }
        return inroot::open(root, row.target, inroot::Kind::regular_file);
    }
    bool dir = row.how == Target::new_dir;
    std::string shown = (rootfs / row.target.substr(1)).string();
    explain::step({fmt::format("{}(\"{}\")", dir ? "mkdirat" : "openat(O_CREAT|O_EXCL)", shown),
                   (dir ? "mkdir " : "touch ") + explain::shell_quote(shown),
                   dir ? "mkdir(2)" : "open(2)"});
    return inroot::make(root, row.target,
                        dir ? inroot::Kind::directory : inroot::Kind::regular_file,
                        dir ? 0755 : 0666);
}

void mount_row(const fd::Fd& root, const fs::path& rootfs, const Mount& row) {
    fd::Fd target = target_of(root, rootfs, row);
    if (!target) return;
    const char* type = row.type.empty() ? nullptr : row.type.c_str();
    mount(row.source.c_str(), inroot::fd_path(target), (rootfs / row.target.substr(1)).string(),
          type, row.flags, row.data.c_str());
}

void make_dev_links(const fd::Fd& root, const fs::path& rootfs) {
    // Our own tmpfs, freshly mounted: there is no symlink in it but these.
    fd::Fd dev = inroot::open(root, "/dev", inroot::Kind::directory);
    for (const Link& link : kDevLinks) {
        std::string shown = (rootfs / "dev" / link.name).string();
        explain::step({fmt::format("symlinkat(\"{}\", \"{}\")", link.target, shown),
                       fmt::format("ln -s {} {}", link.target, shown), "symlink(2)"});
        check_syscall(::symlinkat(std::string(link.target).c_str(), dev.get(),
                                  std::string(link.name).c_str()),
                      fmt::format("symlink(\"{}\", \"{}\")", link.target, shown));
    }
}

// mount --make-rprivate /: stop mount events propagating to or from the host.
void make_rprivate() {
    // mount_namespaces(7), "Shared subtrees": the new namespace starts with a
    // copy of the host's mounts, *including their propagation type*. systemd
    // makes "/" shared, so without this line every mount below would also
    // appear on the host, and pivot_root(2) would fail with EINVAL (it
    // refuses a new root whose parent mount is shared).
    mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
}

// pivot_root(2): new_root must be a mount point. Binding the rootfs onto
// itself makes it one without changing a byte in it. Returns the new mount.
fd::Fd bind_onto_itself(const fs::path& rootfs) {
    mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
    // Opened by name *after* the bind, so the fd is the new mount's root.
    return inroot::open_directory(rootfs.string());
}

// pivot_root(2) into `root` (already a mount point) and detach the old root.
void pivot_into(const fd::Fd& root, const fs::path& rootfs) {
    // EXERCISE 02-mnt: make the rootfs (the mount `root`) the root mount; detach the old one.
    // HINT: pivot_root(2) works on the current directory's mount: how do you get there from an fd?
    // HINT: pivot_root(2) has no glibc wrapper; read its NOTES on pivot_root(".", ".").
    // QUESTION: after this, why can't the chroot escape of chapter 01 reach the host any more?
    // YOUR CODE HERE, then check it: sudo exercises/check 02-mnt
    throw error::NotImplemented("make the rootfs (the mount `root`) the root mount; detach the old one.");
    // END EXERCISE
}

void finish_options(spec::Spec& spec) {
    spec.mounts = container_mounts();
    spec.console.dev_console = true;
}

}  // namespace

const cli::Group options{"mnt", nullptr, finish_options};

Table container_mounts() {
    Table table;
    // nosuid but not nodev: the bind mounts below are device files.
    table.push_back({"/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
                     Target::in_rootfs, "02-mnt"});
    for (std::string_view name : kDevices) {
        // A bind mount needs an existing file to sit on. Binding the host's
        // nodes instead of mknod(2) also works where mknod is not allowed
        // (in a user namespace, chapter 07).
        std::string node = "/dev/" + std::string(name);
        table.push_back({node, node, "", MS_BIND, "", Target::new_file, "02-mnt"});
    }
    // devpts(5) "newinstance": the container's own pseudo-terminals,
    // numbered from 0 and invisible to the host's.
    table.push_back({"/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620,gid=5", Target::new_dir, "02-mnt"});
    table.push_back({"/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k",
                     Target::new_dir, "02-mnt"});
    // proc(5): mounted by a process in a new PID namespace, /proc shows that
    // namespace's processes (chapter 05); until then, the host's.
    table.push_back({"/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
                     Target::in_rootfs, "02-mnt"});
    // sysfs(5) read-only: it exposes the host's devices and kernel knobs.
    table.push_back({"/sys", "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
                     Target::in_rootfs, "02-mnt"});
    table.push_back(
        {"/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", Target::in_rootfs, "02-mnt"});
    return table;
}

void mount(const char* source, const std::string& target, std::string_view shown, const char* type,
           unsigned long flags, const char* data) {
    // A propagation change has no source: name its flags instead.
    std::string call = source != nullptr ? fmt::format("mount(\"{}\", \"{}\")", source, target)
                                         : fmt::format("mount(NULL, \"{}\", {}MS_PRIVATE)", target,
                                                       flags & MS_REC ? "MS_REC|" : "");
    explain::step({call, shell_for_mount(source, shown, type, flags, data), "mount(2)"});
    if (target != shown) call += fmt::format(" (on {})", shown);
    check_syscall(::mount(source, target.c_str(), type, flags, data), call);
}

std::string rootfs_problem(const fs::path& rootfs, const Table& mounts) {
    fd::Fd root = inroot::open_directory(rootfs.string());
    for (const Mount& row : mounts) {
        bool file = row.how == Target::in_rootfs_file;
        if (row.how != Target::in_rootfs && !(file && inroot::exists(root, row.target))) continue;
        inroot::Kind kind = file ? inroot::Kind::regular_file : inroot::Kind::directory;
        if (std::string why = inroot::problem(root, row.target, kind); !why.empty()) return why;
    }
    return "";
}

void enter_root(const fs::path& rootfs, const Table& mounts) {
    make_rprivate();
    fd::Fd root = bind_onto_itself(rootfs);
    explain::note(
        "each mount point below is opened inside the rootfs with openat2(RESOLVE_IN_ROOT|"
        "RESOLVE_NO_SYMLINKS) and mounted on through /proc/self/fd/N: no symlink is followed");
    // /dev and /proc are mounted before the pivot, while the host's device
    // nodes are reachable to bind from and /proc/self/fd names our fds.
    for (const Mount& row : mounts) mount_row(root, rootfs, row);
    make_dev_links(root, rootfs);
    pivot_into(root, rootfs);
}

}  // namespace mnt
