#include "mnt.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "chroot.hpp"
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

// The flags of a propagation change, as the code spells them: "MS_REC|MS_PRIVATE".
std::string propagation_flags(unsigned long flags) {
    std::string names = flags & MS_REC ? "MS_REC|" : "";
    if (flags & MS_SHARED) return names + "MS_SHARED";
    if (flags & MS_SLAVE) return names + "MS_SLAVE";
    if (flags & MS_UNBINDABLE) return names + "MS_UNBINDABLE";
    return names + (flags & MS_PRIVATE ? "MS_PRIVATE" : fmt::format("{:#x}", flags));
}

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
    if (flags & MS_REMOUNT) {
        std::string options = mount_options(flags, nullptr);  // " -o ro,nosuid" or ""
        return fmt::format("mount -o remount{}{} {}", flags & MS_BIND ? ",bind" : "",
                           options.empty() ? "" : "," + options.substr(4), where);
    }
    if (source == nullptr)  // a propagation change: --make-[r]private, -shared, -slave
        return fmt::format("mount --make-{}{} {}", flags & MS_REC ? "r" : "",
                           flags & MS_SHARED       ? "shared"
                           : flags & MS_SLAVE      ? "slave"
                           : flags & MS_UNBINDABLE ? "unbindable"
                                                   : "private",
                           where);
    if (flags & MS_BIND)
        return fmt::format("mount --{}bind {} {}", flags & MS_REC ? "r" : "",
                           explain::shell_quote(source), where);
    return fmt::format("mount -t {}{} {} {}", type, mount_options(flags, data), source, where);
}

// The mount point a row needs: checked if the rootfs must have it, created
// (in the runtime's own tmpfs) if not. Either way resolved inside the root.
// `target` is row.target, with its symlinks expanded for a user_dir.
fd::Fd target_of(const fd::Fd& root, const fs::path& rootfs, const Mount& row,
                 const std::string& target) {
    if (row.how == Target::in_rootfs || row.how == Target::user_dir || row.how == Target::mounted)
        return inroot::open(root, target, inroot::Kind::directory);
    if (row.how == Target::in_rootfs_file) {
        if (!inroot::exists(root, target)) {
            explain::note(fmt::format("the rootfs has no {}: nothing mounted there", target));
            return fd::Fd{};
        }
        return inroot::open(root, target, inroot::Kind::regular_file);
    }
    bool dir = row.how == Target::new_dir;
    std::string shown = (rootfs / row.target.substr(1)).string();
    explain::step({dir ? fmt::format("mkdirat(\"{}\")", shown)
                       : fmt::format("openat(\"{}\", O_CREAT|O_EXCL)", shown),
                   (dir ? "mkdir " : "touch ") + explain::shell_quote(shown),
                   dir ? "mkdir(2)" : "open(2)"});
    return inroot::make(root, row.target,
                        dir ? inroot::Kind::directory : inroot::Kind::regular_file,
                        dir ? 0755 : 0666);
}

// An if_present row's target: an invalid Fd, said under --explain, if this
// kernel has no such file; `kind` set to what it is.
fd::Fd present_target(const fd::Fd& root, const std::string& target, inroot::Kind& kind) {
    fd::Fd point = inroot::open_if_present(root, target, kind);
    if (!point) explain::note(fmt::format("this kernel has no {}: nothing to do there", target));
    return point;
}

// A bind mount ignores MS_RDONLY (mount(2)): read-only takes a second step
// on the new mount, reached by opening its mount point again (the fd we
// mounted on is the directory *under* it). mount_setattr(2) (Linux 5.12)
// with AT_RECURSIVE covers the mounts under it too, which a remount
// (MS_REMOUNT|MS_BIND|MS_RDONLY) would leave writable. It only sets
// MOUNT_ATTR_RDONLY: in a user namespace the source's nosuid, nodev and
// noexec are locked (a remount that dropped them would fail with EPERM).
void make_read_only(const fd::Fd& root, const std::string& target, const std::string& shown,
                    inroot::Kind kind) {
    fd::Fd mounted = inroot::open(root, target, kind);
    explain::step({fmt::format("mount_setattr(\"{}\", AT_RECURSIVE, MOUNT_ATTR_RDONLY)", shown),
                   fmt::format("mount -o remount,bind,ro {} (and each mount under it)",
                               explain::shell_quote(shown)),
                   "mount_setattr(2)"});
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    check_syscall(
        ::mount_setattr(mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr),
        fmt::format("mount_setattr(\"{}\", MOUNT_ATTR_RDONLY)", shown));
}

void mount_row(const fd::Fd& root, const fs::path& rootfs, const Mount& row) {
    std::string target =
        row.how == Target::user_dir ? inroot::resolve(root, row.target) : row.target;
    std::string shown = (rootfs / target.substr(1)).string();
    inroot::Kind kind = row.how == Target::in_rootfs_file || row.how == Target::new_file
                            ? inroot::Kind::regular_file
                            : inroot::Kind::directory;
    fd::Fd point = row.how == Target::if_present ? present_target(root, target, kind)
                                                 : target_of(root, rootfs, row, target);
    if (!point) return;
    const char* type = row.type.empty() ? nullptr : row.type.c_str();
    // A bind without a source binds the target onto itself: a mount of its
    // own, whose flags can then differ from those of the filesystem it is in.
    bool onto_itself = (row.flags & MS_BIND) && !(row.flags & MS_REMOUNT) && row.source.empty();
    std::string source = onto_itself ? inroot::fd_path(point) : row.source;
    mount(source.c_str(), inroot::fd_path(point), shown, type, row.flags, row.data.c_str());
    if ((row.flags & MS_BIND) && (row.flags & MS_RDONLY) && !(row.flags & MS_REMOUNT))
        make_read_only(root, target, shown, kind);
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
                                         : fmt::format("mount(NULL, \"{}\", {})", target,
                                                       propagation_flags(flags));
    // A bind onto itself: the shell names the path twice.
    std::string shown_source = source != nullptr && target == source ? std::string(shown)
                               : source != nullptr                   ? std::string(source)
                                                                     : std::string();
    explain::step({call,
                   shell_for_mount(source != nullptr ? shown_source.c_str() : nullptr, shown, type,
                                   flags, data),
                   "mount(2)"});
    if (target != shown) call += fmt::format(" (on {})", shown);
    check_syscall(::mount(source, target.c_str(), type, flags, data), call);
}

void mount_table(const fd::Fd& root, const fs::path& rootfs, const Table& mounts) {
    explain::note(
        "each mount point below is opened inside the rootfs with openat2(RESOLVE_IN_ROOT|"
        "RESOLVE_NO_SYMLINKS) and mounted on through /proc/self/fd/N: no symlink is followed");
    // /dev and /proc are mounted before the pivot, while the host's device
    // nodes are reachable to bind from and /proc/self/fd names our fds.
    for (const Mount& row : mounts) mount_row(root, rootfs, row);
    make_dev_links(root, rootfs);
}

void fchdir(const fd::Fd& dir, const fs::path& shown) {
    std::string call = fmt::format("fchdir(fd of \"{}\")", shown.string());
    explain::step({call, "cd " + explain::shell_quote(shown.string()), "fchdir(2)"});
    check_syscall(::fchdir(dir.get()), call);
}

void pivot_root(const char* new_root, const char* put_old) {
    std::string call = fmt::format("pivot_root(\"{}\", \"{}\")", new_root, put_old);
    explain::step({call,
                   fmt::format("pivot_root {} {}", explain::shell_quote(new_root),
                               explain::shell_quote(put_old)),
                   "pivot_root(2)"});
    // No glibc wrapper: syscall(2).
    check_syscall(::syscall(SYS_pivot_root, new_root, put_old), call);
}

void unmount(const char* target, int flags) {
    bool lazy = flags == MNT_DETACH;
    std::string call = fmt::format("umount2(\"{}\", {})", target,
                                   lazy ? std::string("MNT_DETACH") : std::to_string(flags));
    explain::step({call,
                   fmt::format("umount {}{}", lazy ? "-l " : "", explain::shell_quote(target)),
                   "umount2(2)"});
    check_syscall(::umount2(target, flags), call);
}

void drop_option(Table& table, std::string_view target, std::string_view option) {
    for (Mount& row : table) {
        if (row.target != target) continue;
        std::string kept;
        size_t start = 0;
        while (start <= row.data.size()) {
            size_t end = std::min(row.data.find(',', start), row.data.size());
            std::string_view one = std::string_view(row.data).substr(start, end - start);
            if (!one.empty() && one != option) kept += (kept.empty() ? "" : ",") + std::string(one);
            start = end + 1;
        }
        row.data = kept;
    }
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
    // EXERCISE 02-mnt: make the rootfs the root mount of the container's mount namespace,
    //   with no way back to the host's tree, and no mount event reaching the host.
    // TOOLS: mount(source, target, shown, type, flags, data): mount(2), narrated; `shown`
    //   is the path --explain prints.
    // TOOLS: inroot::open_directory(path): an fd of a directory.
    // TOOLS: mount_table(root, rootfs, mounts): the table's rows (/dev, /proc, /sys, /tmp),
    //   mounted on the mount whose root is the directory `root`.
    // TOOLS: fchdir(fd, shown), pivot_root(new_root, put_old), unmount(target, flags)
    //   (umount2(2)) and change_root::chdir(dir): those calls, narrated and checked.
    // QUESTION: The child's mount table is a copy of the host's, propagation included.
    //   What would a mount or an unmount in it do to the host if "/" and the mounts under
    //   it stayed shared? (mount_namespaces(7), "Shared subtrees")
    // QUESTION: After chroot(2) the host's tree is still mounted above the new root.
    //   After pivot_root(2) and the unmount, what is left above it?
    // YOUR CODE HERE; then check it, as root: exercises/check 02-mnt
    throw error::NotImplemented("make the rootfs the root mount of the container's mount namespace, with no way back to the host's tree, and no mount event reaching the host.");
    // END EXERCISE
}

}  // namespace mnt
