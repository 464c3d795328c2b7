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

std::string shell_for_mount(const char* source, const fs::path& target, const char* type,
                            unsigned long flags, const char* data) {
    std::string where = explain::shell_quote(target.string());
    if (flags & MS_PRIVATE)
        return fmt::format("mount --make-{}private {}", flags & MS_REC ? "r" : "", where);
    if (flags & MS_BIND)
        return fmt::format("mount --{}bind {} {}", flags & MS_REC ? "r" : "",
                           explain::shell_quote(source), where);
    return fmt::format("mount -t {}{} {} {}", type, mount_options(flags, data), source, where);
}

void require_directory(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw std::runtime_error(fmt::format(
            "the rootfs has no directory {}: create it (unshared never changes your rootfs)",
            dir.string()));
}

void make_file(const fs::path& path) {
    int raw = check_syscall(::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666),
                            fmt::format("open(\"{}\", O_CREAT)", path.string()));
    ::close(raw);
}

void make_dir(const fs::path& path, mode_t mode) {
    explain::step({fmt::format("mkdir(\"{}\")", path.string()),
                   "mkdir " + explain::shell_quote(path.string()), "mkdir(2)"});
    check_syscall(::mkdir(path.c_str(), mode), fmt::format("mkdir(\"{}\")", path.string()));
}

void make_link(std::string_view target, const fs::path& link) {
    explain::step({fmt::format("symlink(\"{}\", \"{}\")", target, link.string()),
                   fmt::format("ln -s {} {}", target, link.string()), "symlink(2)"});
    check_syscall(::symlink(std::string(target).c_str(), link.c_str()),
                  fmt::format("symlink(\"{}\", \"{}\")", target, link.string()));
}

}  // namespace

void mount(const char* source, const fs::path& target, const char* type, unsigned long flags,
           const char* data) {
    // A propagation change has no source: name its flags instead.
    std::string call = source != nullptr
                           ? fmt::format("mount(\"{}\", \"{}\")", source, target.string())
                           : fmt::format("mount(NULL, \"{}\", {}MS_PRIVATE)", target.string(),
                                         flags & MS_REC ? "MS_REC|" : "");
    explain::step({call, shell_for_mount(source, target, type, flags, data), "mount(2)"});
    check_syscall(::mount(source, target.c_str(), type, flags, data), call);
}

void make_rprivate() {
    // mount_namespaces(7), "Shared subtrees": the new namespace starts with a
    // copy of the host's mounts, *including their propagation type*. systemd
    // makes "/" shared, so without this line every mount below would also
    // appear on the host, and pivot_root(2) would fail with EINVAL (it
    // refuses a new root whose parent mount is shared).
    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
}

void populate_dev(const fs::path& rootfs) {
    const fs::path dev = rootfs / "dev";
    require_directory(dev);
    // nosuid but not nodev: the bind mounts below are device files.
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    for (std::string_view name : kDevices) {
        // A bind mount needs an existing file to sit on. Binding the host's
        // nodes instead of mknod(2) also works where mknod is not allowed
        // (in a user namespace, chapter 07).
        fs::path node = dev / name;
        make_file(node);
        mount(("/dev/" + std::string(name)).c_str(), node, nullptr, MS_BIND, nullptr);
    }
    // devpts(5) "newinstance": the container's own pseudo-terminals,
    // numbered from 0 and invisible to the host's.
    make_dir(dev / "pts", 0755);
    mount("devpts", dev / "pts", "devpts", MS_NOSUID | MS_NOEXEC,
          "newinstance,ptmxmode=0666,mode=0620,gid=5");
    make_dir(dev / "shm", 01777);
    mount("shm", dev / "shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k");
    for (const Link& link : kDevLinks) make_link(link.target, dev / link.name);
}

void pivot_into(const fs::path& rootfs) {
    explain::step({fmt::format("chdir(\"{}\")", rootfs.string()),
                   "cd " + explain::shell_quote(rootfs.string()), "chdir(2)"});
    check_syscall(::chdir(rootfs.c_str()), fmt::format("chdir(\"{}\")", rootfs.string()));
    explain::step({"pivot_root(\".\", \".\")", "pivot_root . .", "pivot_root(2)"});
    explain::step({"umount2(\".\", MNT_DETACH)", "umount -l .", "umount2(2)"});
    // EXERCISE 02-mnt: make the rootfs (the current directory) the root mount; detach the old.
    // QUESTION: after this, why can't the chroot escape of chapter 01 reach the host any more?
    // YOUR CODE HERE; then check it, as root: exercises/check 02-mnt
    throw error::NotImplemented("make the rootfs (the current directory) the root mount; detach the old.");
    // END EXERCISE
    check_syscall(::chdir("/"), "chdir(\"/\")");
}

void enter_root(const fs::path& rootfs) {
    for (const char* dir : {"proc", "sys", "dev", "tmp"}) require_directory(rootfs / dir);
    make_rprivate();
    // pivot_root(2): new_root must be a mount point. Binding the rootfs
    // onto itself makes it one without changing a byte in it.
    mount(rootfs.c_str(), rootfs, nullptr, MS_BIND | MS_REC, nullptr);
    // /dev is built before the pivot, while the host's device nodes are
    // still reachable to bind from.
    populate_dev(rootfs);
    pivot_into(rootfs);
    // proc(5): mounted by a process in a new PID namespace, /proc shows that
    // namespace's processes (chapter 05); until then, the host's.
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    // sysfs(5) read-only: it exposes the host's devices and kernel knobs.
    mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

}  // namespace mnt
