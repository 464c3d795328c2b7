#include "ns.hpp"

#include <sys/prctl.h>
#include <sys/stat.h>

#include <fmt/core.h>

#include <cerrno>

#include "error.hpp"
#include "explain.hpp"

namespace ns {

Set::Set(std::initializer_list<Namespace> namespaces) {
    for (const Namespace& n : namespaces) add(n);
}

Set& Set::add(const Namespace& n) {
    flags_ |= n.clone_flag;
    return *this;
}

Set& Set::remove(const Namespace& n) {
    flags_ &= ~n.clone_flag;
    return *this;
}

std::string Set::flag_names() const {
    std::string names;
    for (const Namespace* n : kAll) {
        if (!has(*n)) continue;
        if (!names.empty()) names += '|';
        names += n->flag_name;
    }
    return names.empty() ? "0" : names;
}

std::string Set::unshare_command() const {
    std::string command = "unshare";
    for (const Namespace* n : kAll) {
        if (!has(*n)) continue;
        command += ' ';
        command += n->unshare_option;
    }
    return command;
}

namespace {

struct stat stat_of(const std::string& path) {
    struct stat st {};
    error::check_syscall(::stat(path.c_str(), &st), fmt::format("stat(\"{}\")", path));
    return st;
}

}  // namespace

Set differing_from_self(int pid) {
    Set differing;
    for (const Namespace* n : kAll) {
        struct stat theirs = stat_of(fmt::format("/proc/{}/ns/{}", pid, n->name));
        struct stat ours = stat_of(fmt::format("/proc/self/ns/{}", n->name));
        if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) differing.add(*n);
    }
    return differing;
}

void join(int pidfd, int pid, const Set& set) {
    // First, not dumpable (prctl(2) PR_SET_DUMPABLE): from the setns on, we
    // meet the container's processes, and a hostile root among them may try
    // to ptrace(2) us, or read our /proc/PID/environ and fds, while we still
    // hold more than they do (runc's CVE-2016-9962). Non-dumpable, that needs
    // CAP_SYS_PTRACE, which the container lacks. The command forked from us
    // shares our memory until its execve(2), which makes it dumpable again,
    // as any process of the container is.
    explain::step({"prctl(PR_SET_DUMPABLE, 0)", "(no shell equivalent: runc exec does it too)",
                   "prctl(2), ptrace(2) \"Ptrace access mode checking\""});
    error::check_syscall(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE, 0)");
    std::string call = fmt::format("setns(pidfd of {}, {})", pid, set.flag_names());
    std::string shell = fmt::format("nsenter --target {}", pid);
    for (const Namespace* n : kAll)
        if (set.has(*n))
            shell +=
                fmt::format(" {}", n->unshare_option == "--pid --fork" ? std::string_view("--pid")
                                                                       : n->unshare_option);
    explain::step({call, shell, "setns(2), nsenter(1)"});
    error::check_syscall(::setns(pidfd, static_cast<int>(set.clone_flags())), call);
}

}  // namespace ns
