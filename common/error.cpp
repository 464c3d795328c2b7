#include "error.hpp"

#include <string_view>

namespace error {
namespace {

// The likely cause of an errno in the context of this toolkit. Kept short:
// a hint is a first thing to check, not a diagnosis.
struct Hint {
    int err;
    std::string_view call;  // "" = any call
    std::string_view text;
};

constexpr Hint kHints[] = {
    // First match wins: the hints for one call come before the general ones.
    {EPERM, "prctl(PR_CAPBSET_DROP", "dropping from the bounding set needs CAP_SETPCAP"},
    {EPERM, "setgroups",
     "it needs CAP_SETGID; in a user namespace whose /proc/self/setgroups says deny, nobody may"},
    {EPERM, "setres", "changing to another uid or gid needs CAP_SETUID or CAP_SETGID"},
    {EINVAL, "setresuid", "is the UID mapped in the container's user namespace (uid_map)?"},
    {EINVAL, "setresgid", "is the GID mapped in the container's user namespace (gid_map)?"},
    {EPERM, "clone3",
     "are you root? run it with sudo; as another user (07-user), are user namespaces allowed? "
     "On Ubuntu 24.04 see kernel.apparmor_restrict_unprivileged_userns"},
    {ENOSPC, "clone3", "no user namespace may be made: is sysctl user.max_user_namespaces 0?"},
    {EPERM, "write(\"/proc/",
     "a map may hold only ids the writer may use: without privileges, only its own, after "
     "\"deny\" in /proc/PID/setgroups (user_namespaces(7))"},
    {EPERM, "", "are you root? run it with sudo"},
    {EINVAL, "pivot_root",
     "is the new root a mount point, and is / private (mount --make-rprivate /)?"},
    {ENOENT, "mount",
     "does the mount point exist in the rootfs? unshared never creates it for you"},
    {ENOENT, "chdir", "does that directory exist in the rootfs?"},
    {EACCES, "seccomp(SECCOMP_SET_MODE_FILTER",
     "the kernel takes a filter only with no_new_privs set (prctl PR_SET_NO_NEW_PRIVS) or with "
     "CAP_SYS_ADMIN: seccomp(2)"},
};

}  // namespace

std::string describe(const std::exception& e) {
    std::string message = e.what();
    const auto* sys = dynamic_cast<const std::system_error*>(&e);
    if (sys == nullptr) return message;
    for (const Hint& hint : kHints) {
        bool call_matches = hint.call.empty() || message.rfind(hint.call, 0) == 0;
        if (hint.err == sys->code().value() && call_matches) {
            return message + " (hint: " + std::string(hint.text) + ")";
        }
    }
    return message;
}

}  // namespace error
