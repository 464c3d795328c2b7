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
    {EPERM, "clone3",
     "are you root? run it with sudo; as another user (07-user), are user namespaces allowed? "
     "On Ubuntu 24.04 see kernel.apparmor_restrict_unprivileged_userns"},
    {ENOSPC, "clone3", "no user namespace may be made: is sysctl user.max_user_namespaces 0?"},
    {EPERM, "write(\"/proc/",
     "a map may hold only ids the writer may use: without privileges, only its own, after "
     "\"deny\" in /proc/PID/setgroups (user_namespaces(7))"},
    {EINVAL, "setresuid", "is 0 mapped in the uid_map?"},
    {EINVAL, "setresgid", "is 0 mapped in the gid_map?"},
    {EPERM, "", "are you root? run it with sudo"},
    {EINVAL, "pivot_root",
     "is the new root a mount point, and is / private (mount --make-rprivate /)?"},
    {ENOENT, "mount",
     "does the mount point exist in the rootfs? unshared never creates it for you"},
    {ENOENT, "chdir", "does that directory exist in the rootfs?"},
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
