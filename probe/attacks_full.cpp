// attacks_full.cpp: the attacks chapter 11 stops, on the kernel's files in
// /proc and on the runtime's own binary.
//
//   core-pattern      open /proc/sys/kernel/core_pattern for writing; close it
//                     unwritten (the program named there runs as host root)
//   interrupts        read /proc/interrupts: the host's interrupt counters
//   proc-keys DESC    find the key DESC of the host's root in /proc/keys
//   timer-list        read the machine's timers and clock in /proc/timer_list
//   runtime-exe       open the runtime's binary for writing through
//                     /proc/PID/exe (CVE-2019-5736); close it unwritten
// None of them writes a byte anywhere: the open is the proof.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "probe.hpp"

namespace probe {

// kernel.core_pattern: a first character `|` makes the kernel run the rest
// as a program, as root of the initial namespaces, whenever a process dumps
// core (core(5)). The file is root's (0644): no capability guards it, only
// its owner; the open for writing is the proof, and nothing is written.
int core_pattern(const Args&) {
    ProcView proc;
    if (proc.error() != 0)
        return report("core-pattern", false, "mount=" + errno_name(proc.error()));
    int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);  // never written
    return report("core-pattern", err == 0, "open=" + errno_name(err));
}

// /proc/interrupts counts, per CPU, every interrupt of the machine: the
// keyboard, the disks, the network cards. Sampled fast, its counters time a
// host's keystrokes and traffic (Diao et al., "No Pardon for the
// Interruption", IEEE S&P 2016). Success: it reads as the kernel's table.
int interrupts(const Args&) {
    ProcView proc;
    if (proc.error() != 0) return report("interrupts", false, "mount=" + errno_name(proc.error()));
    int err = 0;
    std::string line = first_line("/proc/interrupts", &err);
    bool table = err == 0 && line.find("CPU0") != std::string::npos;
    return report("interrupts", table,
                  "read=" + (err != 0 ? errno_name(err)
                             : table  ? "cpu-table"
                                      : "empty"));
}

// /proc/keys lists the keys the reader may view, in every keyring: a read of
// a file, which a filter of system calls (chapter 10 stops keyctl(2)) never
// sees. The description found is the proof (keyrings(7)).
int proc_keys(const Args& args) {
    std::string description = arg(args, 0);
    ProcView proc;
    if (proc.error() != 0) return report("proc-keys", false, "mount=" + errno_name(proc.error()));
    std::ifstream keys("/proc/keys");
    if (!keys) return report("proc-keys", false, "open=" + errno_name(errno));
    std::string line;
    int lines = 0;
    while (std::getline(keys, line)) {
        ++lines;
        if (line.find(" " + description + ":") != std::string::npos)
            return report("proc-keys", true, "found=" + description);
    }
    return report("proc-keys", false, "lines=" + std::to_string(lines));
}

// /proc/timer_list shows every CPU's pending timers, with the kernel
// functions they call, and the machine's own monotonic clock ("now at N
// nsecs"), which a time namespace does not shift (/proc/uptime it does).
// The file is root's (0400). Success: the probe reads that line.
int timer_list(const Args&) {
    ProcView proc;
    if (proc.error() != 0) return report("timer-list", false, "mount=" + errno_name(proc.error()));
    std::ifstream timers("/proc/timer_list");
    if (!timers) return report("timer-list", false, "open=" + errno_name(errno));
    std::string line;
    for (int i = 0; i < 8 && std::getline(timers, line); ++i)
        if (line.rfind("now at ", 0) == 0)
            return report("timer-list", true, "now=" + line.substr(7, line.find(' ', 7) - 7));
    return report("timer-list", false, "read=no-clock");
}

// CVE-2019-5736: runc's binary was overwritten from inside a container
// through /proc/PID/exe of a process running it. The runtime's process a
// container sees is its parent: the runtime itself before chapter 05, from
// 05 the init, the runtime's fork that never execs (as `runc init` was). The
// link is reopened for writing, never written. ETXTBSY means the file's
// permissions let the writer in and only a running copy holds the write off
// (the security modules are asked after that check): the exploit keeps
// a descriptor and writes once the runtime has ended, which works if the
// attacker outlives it. It does not when that process is the container's
// PID 1: when the init ends, the kernel kills every process of its PID
// namespace, the attacker's too (pid_namespaces(7)). The probe's own
// /proc/self/exe is reported as well: it is the rootfs's binary, which the
// rows "write into the rootfs" cover.
int runtime_exe(const Args&) {
    ProcView proc;
    if (proc.error() != 0) return report("runtime-exe", false, "mount=" + errno_name(proc.error()));
    int self_fd = open("/proc/self/exe", O_WRONLY | O_CLOEXEC);  // no O_TRUNC: unchanged
    std::string detail = "self_exe=" + errno_name(self_fd < 0 ? errno : 0);
    if (self_fd >= 0) close(self_fd);  // never written
    pid_t runtime = getppid();
    if (runtime == 0) return report("runtime-exe", false, detail + " parent=none");
    std::string link = "/proc/" + std::to_string(runtime) + "/exe";
    int path_fd = open(link.c_str(), O_PATH | O_CLOEXEC);
    if (path_fd < 0)
        return report("runtime-exe", false,
                      detail + " parent=" + std::to_string(runtime) + " exe=" + errno_name(errno));
    std::string reopen = "/proc/self/fd/" + std::to_string(path_fd);
    int fd = open(reopen.c_str(), O_WRONLY | O_CLOEXEC);  // no O_TRUNC: unchanged
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);  // never written
    close(path_fd);
    int comm_err = 0;
    std::string comm = first_line(link.substr(0, link.size() - 3) + "comm", &comm_err);
    detail += " parent=" + std::to_string(runtime) + " comm=" + (comm_err ? "?" : comm) +
              " write=" + errno_name(err);
    bool outlives = runtime != 1;  // our init's end is ours too
    return report("runtime-exe", err == 0 || (err == ETXTBSY && outlives), detail);
}

}  // namespace probe
