// attacks_processes.cpp: attacks through a process of the host, which stays
// in sight (and in reach of kill(2) and setns(2)) until 05-pid gives the
// container a process tree of its own.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "probe.hpp"

namespace probe {

int kill_attack(const Args& args) {
    pid_t target = std::atoi(arg(args, 0).c_str());
    int err = kill(target, SIGTERM) == 0 ? 0 : errno;
    return report("kill", err == 0, "kill=" + errno_name(err));
}

// Looks for a host process in /proc.
int see_proc(const Args& args) {
    ProcView proc;
    if (proc.error() != 0) return report("see-proc", false, "mount=" + errno_name(proc.error()));
    int err = 0;
    std::string comm = first_line("/proc/" + arg(args, 0) + "/comm", &err);
    if (err != 0) return report("see-proc", false, "open=" + errno_name(err));
    return report("see-proc", true, "comm=" + comm);
}

// Reads the host file PATH through /proc/PID/root of a host process: that
// link is the process's root directory, and a path under it is walked in
// the process's mount namespace, the host's. Every root and mount the
// container has is no wall while a host process is in sight.
int proc_root(const Args& args) {
    ProcView proc;
    if (proc.error() != 0) return report("proc-root", false, "mount=" + errno_name(proc.error()));
    int err = 0;
    std::string content = first_line("/proc/" + arg(args, 0) + "/root" + arg(args, 1), &err);
    if (err != 0) return report("proc-root", false, "open=" + errno_name(err));
    return report("proc-root", true, "read=" + content);
}

// Joins the UTS namespace of a host process through /proc/PID/ns/uts, as
// `nsenter --uts` does, and reads the hostname there. A namespace of one's
// own is no wall while the host's processes are in sight and root keeps
// CAP_SYS_ADMIN. Only this probe process moves; it changes nothing.
int join_uts(const Args& args) {
    ProcView proc;
    if (proc.error() != 0) return report("join-uts", false, "mount=" + errno_name(proc.error()));
    std::string path = "/proc/" + arg(args, 0) + "/ns/uts";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return report("join-uts", false, "open=" + errno_name(errno));
    int err = setns(fd, CLONE_NEWUTS) == 0 ? 0 : errno;
    close(fd);
    if (err != 0) return report("join-uts", false, "setns=" + errno_name(err));
    utsname u{};
    uname(&u);
    return report("join-uts", true, std::string("hostname=") + u.nodename);
}

namespace {

// In a child (in_child): setns(2) into the mount namespace behind
// /proc/PID/ns/mnt, which also moves the root and working directory to that
// namespace's root, then reads PATH there.
std::string enter_mount_namespace(const Args& args) {
    std::string path = "/proc/" + args[0] + "/ns/mnt";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "blocked open=" + errno_name(errno);
    int err = setns(fd, CLONE_NEWNS) == 0 ? 0 : errno;
    close(fd);
    if (err != 0) return "blocked setns=" + errno_name(err);
    std::string content = first_line(args[1], &err);
    return err == 0 ? "success read=" + content : "blocked read=" + errno_name(err);
}

}  // namespace

// Joins the mount namespace of a host process, as `nsenter --mount` does,
// and reads the host file PATH there: pivot_root and a mount namespace of
// one's own are no wall while root (CAP_SYS_ADMIN, CAP_SYS_CHROOT) sees a
// host process. In a child, so that the probe (and the /proc it may have
// mounted) stays in the container.
int join_mnt(const Args& args) {
    ProcView proc;
    if (proc.error() != 0) return report("join-mnt", false, "mount=" + errno_name(proc.error()));
    return report("join-mnt", in_child(enter_mount_namespace, {arg(args, 0), arg(args, 1)}));
}

}  // namespace probe
