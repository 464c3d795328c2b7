// attacks_seccomp.cpp: attacks through parts of the kernel that no namespace
// isolates and that need no capability, or that a container never needs:
// chapter 10's system-call filter is what stops them.
//
// Each only proves that the call gets through, with a harmless act: a user
// namespace in a child that then exits, a look at a keyring (and reading a
// key the test made), a userfaultfd or io_uring instance closed at once.
// Chapter 10's other rows use attacks written before it: the clock change
// is `probe attack set-clock` (attacks_caps.cpp), open_by_handle_at (the
// "shocker" escape) `probe attack open-by-handle` (attacks_files.cpp).
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "probe.hpp"

namespace probe {

namespace {

// A chroot (chapter 01) makes the kernel refuse a user namespace: EPERM
// when the caller's root is not the root of its mount namespace
// (user_namespaces(7)). An attacker walks out of it first, the classic
// way, through a directory that is there already (nothing is written).
bool leave_chroot() {
    if (chroot("/etc") != 0) return false;
    for (int i = 0; i < 64; ++i) (void)!chdir("..");
    return chroot(".") == 0;
}

// In a child (in_child): a new user namespace, where the probe gets every
// capability, and the proof of it: a mount namespace of its own with a
// tmpfs mounted. The first step of many escapes through kernel bugs.
std::string nest_user_namespace(const Args&) {
    std::string left;
    if (unshare(CLONE_NEWUSER) != 0) {
        int err = errno;
        if (err != EPERM || !leave_chroot() || unshare(CLONE_NEWUSER) != 0)
            return "blocked unshare=" + errno_name(err);
        left = " chroot=left";
    }
    if (unshare(CLONE_NEWNS) != 0) return "success unshare=OK mount_ns=" + errno_name(errno);
    // Private (it is a slave of ours already: made from a user namespace), then a tmpfs.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return "success unshare=OK private=" + errno_name(errno);
    int err = mount("probe", "/tmp", "tmpfs", 0, nullptr) == 0 ? 0 : errno;
    return "success unshare=OK mount_inside=" + errno_name(err) + left;
}

// The payload of the key `description` in the user keyring, or "" (*err set).
std::string read_user_key(const std::string& description, int* err) {
    long key =
        syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", description.c_str(), 0);
    if (key < 0) {
        *err = errno;
        return "";
    }
    char payload[256] = {};
    long n = syscall(SYS_keyctl, KEYCTL_READ, key, payload, sizeof payload - 1);
    *err = n < 0 ? errno : 0;
    return n < 0 ? "" : std::string(payload, static_cast<size_t>(std::min(n, 255L)));
}

}  // namespace

// Nested namespaces: unshare(CLONE_NEWUSER) needs no capability at all.
int nested_userns(const Args& args) {
    return report("nested-userns", in_child(nest_user_namespace, args));
}

// The kernel keyring has no namespace: keys belong to a uid, machine-wide.
// Without DESC: is the user keyring of our uid reachable? With DESC: read
// the key of that description the test put there ("user" type).
int keyring(const Args& args) {
    long id = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
    if (id < 0) return report("keyring", false, "keyctl=" + errno_name(errno));
    if (args.empty())
        return report("keyring", true, "keyctl=OK user_keyring=" + std::to_string(id));
    int err = 0;
    std::string payload = read_user_key(args[0], &err);
    if (err != 0) return report("keyring", false, "keyctl=OK search=" + errno_name(err));
    return report("keyring", true, "keyctl=OK read=" + payload);
}

// userfaultfd(2) stops the kernel in the middle of a copy from user memory,
// for as long as the caller likes: how many kernel races are won. The
// user-mode-only flavour (Linux 5.11) needs no privilege.
int userfaultfd(const Args&) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(static_cast<int>(fd));
    return report("userfaultfd", err == 0, "userfaultfd=" + errno_name(err));
}

// io_uring (Linux 5.1): a second system-call interface, through shared
// memory, where a filter cannot see; a frequent home of kernel exploits.
int io_uring(const Args&) {
    io_uring_params params{};
    long fd = syscall(SYS_io_uring_setup, 1, &params);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(static_cast<int>(fd));
    return report("io-uring", err == 0, "io_uring_setup=" + errno_name(err));
}

}  // namespace probe
