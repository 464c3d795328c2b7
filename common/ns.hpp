// ns.hpp: the table of Linux namespaces, one row each.
//
// A namespace wraps one global resource so that the processes inside see
// their own copy of it (namespaces(7)). The runtime asks for new ones with
// clone(2) flags; util-linux unshare(1) asks with options. This table is the
// one place that knows both, so the code and --explain never disagree.
#pragma once

#include <sched.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace ns {

struct Namespace {
    int clone_flag;                   // clone(2) flag
    std::string_view flag_name;       // its name in the headers: "CLONE_NEWUTS"
    std::string_view name;            // as in /proc/PID/ns/<name> and lsns(8)
    std::string_view unshare_option;  // the unshare(1) option that asks for it
    std::string_view man;             // the man page that explains it
    std::string_view isolates;        // what the processes inside get their own copy of
};

// Kernel versions: mount 2.4.19 (2002), uts and ipc 2.6.19 (2006), pid 2.6.24
// (2008), net 2.6.29, user 3.8 (2013), cgroup 4.6, time 5.6.
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

using Set = std::initializer_list<Namespace>;

// The clone(2) flags that create every namespace in the set.
int clone_flags(Set namespaces);

// "CLONE_NEWNS|CLONE_NEWUTS", for --explain.
std::string flag_names(Set namespaces);

// "unshare --mount --uts", the shell equivalent for --explain.
std::string unshare_command(Set namespaces);

}  // namespace ns
