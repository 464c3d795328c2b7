// ns.hpp: the table of Linux namespaces, one row each.
//
// A namespace wraps one global resource so that the processes inside see
// their own copy of it (namespaces(7)). The runtime asks for new ones with
// clone(2) flags; util-linux unshare(1) asks with options. This table is the
// one place that knows both, so the code and --explain never disagree.
#pragma once

#include <sched.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ns {

struct Namespace {
    uint64_t clone_flag;              // clone(2) flag
    std::string_view flag_name;       // its name in the headers: "CLONE_NEWUTS"
    std::string_view name;            // as in /proc/PID/ns/<name> and lsns(8)
    std::string_view unshare_option;  // the unshare(1) option that asks for it
    std::string_view man;             // the man page that explains it
    std::string_view isolates;        // what the processes inside get their own copy of
};

// Kernel versions: mount 2.4.19 (2002), uts and ipc 2.6.19 (2006), pid 2.6.24
// (2008), net 2.6.29, user 3.8 (2013), cgroup 4.6, time 5.6 (2020).
inline constexpr Namespace mount{CLONE_NEWNS, "CLONE_NEWNS",         "mnt",
                                 "--mount",   "mount_namespaces(7)", "the mount table"};
inline constexpr Namespace uts{
    CLONE_NEWUTS, "CLONE_NEWUTS",      "uts",
    "--uts",      "uts_namespaces(7)", "the hostname and NIS domain name"};
inline constexpr Namespace ipc{
    CLONE_NEWIPC, "CLONE_NEWIPC",      "ipc",
    "--ipc",      "ipc_namespaces(7)", "System V IPC objects and POSIX message queues"};
inline constexpr Namespace pid{CLONE_NEWPID,   "CLONE_NEWPID",      "pid",
                               "--pid --fork", "pid_namespaces(7)", "process IDs"};
inline constexpr Namespace net{
    CLONE_NEWNET, "CLONE_NEWNET",          "net",
    "--net",      "network_namespaces(7)", "network devices, addresses, routes, ports"};
inline constexpr Namespace user{
    CLONE_NEWUSER, "CLONE_NEWUSER",      "user",
    "--user",      "user_namespaces(7)", "user and group IDs, capabilities"};
inline constexpr Namespace cgroup{
    CLONE_NEWCGROUP, "CLONE_NEWCGROUP",      "cgroup",
    "--cgroup",      "cgroup_namespaces(7)", "the view of the cgroup tree"};
inline constexpr Namespace time{
    CLONE_NEWTIME, "CLONE_NEWTIME",      "time",
    "--time",      "time_namespaces(7)", "the offsets of the monotonic and boot clocks"};

// Every namespace, in the order the chapters add them (and --explain lists them).
inline constexpr std::array<const Namespace*, 8> kAll{&mount, &uts,  &ipc,    &pid,
                                                      &net,   &user, &cgroup, &time};

// A set of namespaces chosen at run time: a chapter starts from its own list,
// and options (later: --net none, --userns host) add or remove members.
class Set {
  public:
    Set() = default;
    Set(std::initializer_list<Namespace> namespaces);

    Set& add(const Namespace& n);
    Set& remove(const Namespace& n);
    bool has(const Namespace& n) const { return (flags_ & n.clone_flag) != 0; }
    bool empty() const { return flags_ == 0; }

    // The clone(2) flags that create every namespace in the set.
    uint64_t clone_flags() const { return flags_; }
    // "CLONE_NEWNS|CLONE_NEWUTS" ("0" for none), for --explain and messages.
    std::string flag_names() const;
    // "unshare --mount --uts", the shell equivalent for --explain.
    std::string unshare_command() const;

  private:
    uint64_t flags_ = 0;
};

// The namespaces process `pid` is in that we are not: for each kind, whether
// /proc/PID/ns/<name> and /proc/self/ns/<name> are different files (their
// device and inode number, as lsns(8) compares them).
Set differing_from_self(int pid);

// Makes us non-dumpable (see ns.cpp: CVE-2016-9962), then
// setns(2) on a pidfd (Linux 5.8): joins every namespace of `set` that the
// pidfd's process is in, in one call and in the order the kernel needs
// (the user namespace first, so that our capabilities count in it). The pid
// and the mount namespace change at once; the pid namespace is the one for
// our children only (pid_namespaces(7)): the command must be forked after.
void join(int pidfd, int pid, const Set& set);

}  // namespace ns
