// attacks_caps.cpp: what root can do with the capabilities chapter 09
// takes away. Each attempt is a harmless act whose errno tells whether the
// capability check let it through:
//   mount-tmpfs     mount(2) a tmpfs on a scratch dir, unmounted at once  CAP_SYS_ADMIN
//   mknod-block     make a node of the test's block device, read a line   CAP_MKNOD
//   init-module     init_module(2) of a garbage image, never a module     CAP_SYS_MODULE
//   set-clock       clock_settime(2) to the time it already shows         CAP_SYS_TIME
//   sysrq-trigger   open /proc/sysrq-trigger for writing; close it unwritten
//   kcore           read one byte of /proc/kcore                          CAP_SYS_RAWIO
//   setuid-root     as a user, run a setuid-root program: root again?     no_new_privs
// Where the kernel lacks the target altogether (no module support, no
// /proc/kcore, no /proc/sysrq-trigger), the verdict is result=unsupported:
// the attack cannot be played here, which is neither a success nor a block.
#include <fcntl.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "probe.hpp"

namespace probe {

namespace {

int unsupported(const std::string& attack, const std::string& detail) {
    std::printf("attack=%s result=unsupported %s\n", attack.c_str(), detail.c_str());
    return 0;
}

}  // namespace

// CAP_SYS_ADMIN: mount(2) needs it in the user namespace owning the
// container's mount namespace. The tmpfs goes on a fresh dir in /tmp and
// is unmounted and removed at once.
int mount_tmpfs(const Args&) {
    char dir[] = "/tmp/probe-mount.XXXXXX";
    if (mkdtemp(dir) == nullptr)
        return report("mount-tmpfs", false, "mkdtemp=" + errno_name(errno));
    int err = mount("probe", dir, "tmpfs", 0, "size=4k") == 0 ? 0 : errno;
    if (err == 0) umount2(dir, MNT_DETACH);
    rmdir(dir);
    return report("mount-tmpfs", err == 0, "mount=" + errno_name(err));
}

// CAP_MKNOD: a device node gives whoever may open it the device itself,
// here the test's loop device (MAJOR MINOR), whose first line the test
// wrote. The node goes in a fresh dir under DIR (default /dev, where
// device files are usable: /tmp is nodev from 02 on); only reads; removed.
int mknod_block(const Args& args) {
    unsigned major = static_cast<unsigned>(std::atoi(arg(args, 0).c_str()));
    unsigned minor = static_cast<unsigned>(std::atoi(arg(args, 1).c_str()));
    std::string dir = (args.size() > 2 ? args[2] : "/dev") + "/probe-block.XXXXXX";
    if (mkdtemp(dir.data()) == nullptr)
        return report("mknod-block", false, "mkdtemp=" + errno_name(errno));
    std::string node = dir + "/disk";
    std::string outcome;
    if (mknod(node.c_str(), S_IFBLK | 0400, makedev(major, minor)) != 0) {
        outcome = "blocked mknod=" + errno_name(errno);
    } else {
        int fd = open(node.c_str(), O_RDONLY | O_CLOEXEC);
        int err = fd < 0 ? errno : 0;
        std::string line = fd < 0 ? "" : first_line_of(fd, &err);
        if (fd >= 0) close(fd);
        outcome = err == 0 ? "success mknod=OK read=" + line
                           : "blocked mknod=OK open_or_read=" + errno_name(err);
        unlink(node.c_str());
    }
    rmdir(dir.c_str());
    return report("mknod-block", outcome);
}

// CAP_SYS_MODULE: init_module(2) puts code in the kernel. The image here
// is not a module (no ELF header), so the loader can only reject it: EPERM
// means the capability check stopped the call; ENOEXEC (not ELF), EINVAL,
// EKEYREJECTED (unsigned) mean the call got past it to the loader.
// ENOSYS: this kernel has no module support at all.
int init_module_attack(const Args&) {
    static const char garbage[64] = "unshared probe: this is not a kernel module";
    int err = syscall(SYS_init_module, garbage, sizeof garbage, "") == 0 ? 0 : errno;
    if (err == ENOSYS) return unsupported("init-module", "init_module=ENOSYS");
    return report("init-module", err != EPERM, "init_module=" + errno_name(err));
}

// CAP_SYS_TIME: the clock is the machine's, in every namespace (a time
// namespace only offsets CLOCK_MONOTONIC and CLOCK_BOOTTIME). It is set
// to the time it shows, read just before: a jump back of a microsecond.
int set_clock(const Args&) {
    timespec now{};
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return report("set-clock", false, "clock_gettime=" + errno_name(errno));
    int err = clock_settime(CLOCK_REALTIME, &now) == 0 ? 0 : errno;
    return report("set-clock", err == 0, "clock_settime=" + errno_name(err));
}

// /proc/sysrq-trigger: one letter written there reboots, crashes or
// freezes the machine. The file is root's (mode 0200): whether a
// container's root may open it is the question; the open is the proof.
// It is closed without a byte written.
int sysrq_trigger(const Args&) {
    ProcView proc;
    if (proc.error() != 0)
        return report("sysrq-trigger", false, "mount=" + errno_name(proc.error()));
    int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);  // never written
    if (err == ENOENT) return unsupported("sysrq-trigger", "open=ENOENT");
    return report("sysrq-trigger", err == 0, "open=" + errno_name(err));
}

// CAP_SYS_RAWIO: /proc/kcore is the kernel's memory as an ELF core file.
// One byte (the first of the ELF header) is the proof; nothing else is read.
int kcore(const Args&) {
    ProcView proc;
    if (proc.error() != 0) return report("kcore", false, "mount=" + errno_name(proc.error()));
    int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT) return unsupported("kcore", "open=ENOENT");
        return report("kcore", false, "open=" + errno_name(err));
    }
    char byte = 0;
    ssize_t n = read(fd, &byte, 1);
    int err = n < 0 ? errno : 0;
    close(fd);
    return report("kcore", n == 1, "read=" + (n == 1 ? std::string("1byte") : errno_name(err)));
}

namespace {

// In a child: becomes nobody (65534) if it is root, runs PROGRAM ids, and
// returns the line it printed.
std::string run_ids_as_user(const std::string& program) {
    int out[2];
    if (pipe(out) != 0) return "error pipe=" + errno_name(errno);
    pid_t child = fork();
    if (child < 0) return "error fork=" + errno_name(errno);
    if (child == 0) {
        dup2(out[1], STDOUT_FILENO);
        if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                               setresuid(65534, 65534, 65534) != 0)) {
            std::printf("become_nobody=%s\n", errno_name(errno).c_str());
            _exit(1);
        }
        char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>("ids"), nullptr};
        execv(argv[0], argv);
        std::printf("exec=%s\n", errno_name(errno).c_str());
        _exit(127);
    }
    close(out[1]);
    char buffer[256] = {};
    ssize_t n = read(out[0], buffer, sizeof buffer - 1);
    close(out[0]);
    waitpid(child, nullptr, 0);
    std::string text(buffer, n > 0 ? static_cast<size_t>(n) : 0);
    return text.substr(0, text.find('\n'));
}

}  // namespace

// no_new_privs: a user runs PATH, a setuid-root program (a copy of the
// probe the test made, owned by root, mode 4755), which prints its ids.
// The user is the container's (--user), or, when the probe runs as root,
// nobody (65534), which a child of the probe becomes first. Without
// no_new_privs the program's effective uid is 0: root again, with what the
// bounding set left. With it, execve(2) ignores the setuid bit.
int setuid_root(const Args& args) {
    std::string ids = run_ids_as_user(arg(args, 0));
    size_t at = ids.find("euid=");
    if (at == std::string::npos)
        return report("setuid-root", false, "then=" + (ids.empty() ? "nothing" : ids));
    std::string euid = ids.substr(at + 5, ids.find(' ', at) - at - 5);
    return report("setuid-root", euid == "0", "then_euid=" + euid);
}

}  // namespace probe
