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

}  // namespace probe
