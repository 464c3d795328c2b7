// calls_filtered.cpp: the calls chapter 10's filter decides, for `probe
// errno NAME...` (calls.cpp asks here for the names it does not have).
//
// Each is harmless when it gets through: a key in the thread's own keyring
// (gone with the thread), a user namespace or a clone that exits at once, a
// userfaultfd, io_uring or perf counter closed at once, a personality flag
// of the probe's own. Where the container's missing capabilities would
// stop the real call anyway, the attempt is made so that the kernel would
// refuse it for another reason (a clock that cannot be set, a mount point
// that does not exist, a bpf command that does not exist): the filter
// answers before the kernel looks at any argument, so EPERM is the
// filter's, and EINVAL or ENOENT shows that the call reached the kernel.
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "probe.hpp"

namespace probe {

namespace {

int errno_of(long rc) {
    return rc < 0 ? errno : 0;
}

int close_if(long fd) {
    if (fd < 0) return errno;
    close(static_cast<int>(fd));
    return 0;
}

// A child made by a raw clone or clone3 (`pid`) exits at once; 0 once reaped.
int reap(long pid) {
    if (pid < 0) return errno;
    if (pid == 0) _exit(0);
    return waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 ? errno : 0;
}

// `call` in a child that exits with its errno, so that what it changes (a
// user namespace, a personality) leaves the probe's next calls alone.
int in_child(int (*call)()) {
    pid_t child = fork();
    if (child < 0) return errno;
    if (child == 0) _exit(call());
    int status = 0;
    if (waitpid(child, &status, 0) < 0) return errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);  // "SIGSYS"
}

#if defined(__x86_64__)
// A system call the way a 32-bit x86 program makes it: int 0x80, with the
// i386 numbers and registers. The kernel runs the filter with the
// architecture AUDIT_ARCH_I386, so a filter must cover it (seccomp_arch_add)
// or the call gets the "bad arch" action: the process dies of SIGSYS.
long int80(long number, long b = 0, long c = 0, long d = 0) {
    long rc = 0;
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(number), "b"(b), "c"(c), "d"(d) : "memory");
    return rc;
}

int int80_errno(long rc) {
    return rc < 0 && rc > -4096 ? static_cast<int>(-rc) : 0;
}
#endif

// ptrace(2) of a sibling: two children of the probe, one waiting, the
// other seizing it (PTRACE_SEIZE stops nothing) and reporting its errno
// as its exit status.
int ptrace_sibling() {
    pid_t target = fork();
    if (target < 0) return errno;
    if (target == 0) {
        pause();
        _exit(0);
    }
    pid_t tracer = fork();
    if (tracer == 0)
        _exit(ptrace(static_cast<__ptrace_request>(PTRACE_SEIZE), target, 0, 0) == 0 ? 0 : errno);
    int status = 0;
    int err = tracer < 0 ? errno : waitpid(tracer, &status, 0) < 0 ? errno : WEXITSTATUS(status);
    kill(target, SIGKILL);
    waitpid(target, nullptr, 0);
    return err;
}

int perf_counter() {  // a software counter of the probe's own user-mode CPU time
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    return close_if(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

int clone3_plain() {
    clone_args args{};
    args.exit_signal = SIGCHLD;
    return reap(syscall(SYS_clone3, &args, sizeof args));
}

}  // namespace

const CallTable& filtered_calls() {
    static const CallTable calls {
        // The keyring has no namespace of its own: the thread keyring, made on demand.
        {"keyctl",
         [] {
             return errno_of(
                 syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1));
         }},
            {"add_key",
             [] {
                 return errno_of(
                     syscall(SYS_add_key, "user", "probe", "x", 1, KEY_SPEC_THREAD_KEYRING));
             }},
            // A user namespace needs no capability: only the filter stands in the way.
            {"unshare_user",
             [] { return in_child([] { return errno_of(unshare(CLONE_NEWUSER)); }); }},
            {"clone_newuser",
             [] { return reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)); }},
            {"fork", [] { return reap(fork()); }},
            // ENOSYS under Docker's profile: glibc then falls back to clone.
            {"clone3", clone3_plain},
            // ENOENT from the kernel (the mount point is looked up first), EPERM from the filter.
            {"mount_nowhere",
             [] { return errno_of(mount("probe", "/probe-no-such-dir", "tmpfs", 0, nullptr)); }},
            // CLOCK_MONOTONIC cannot be set: EINVAL from the kernel, before any capability check.
            {"clock_settime_monotonic",
             [] {
                 timespec now{};
                 clock_gettime(CLOCK_MONOTONIC, &now);
                 return errno_of(clock_settime(CLOCK_MONOTONIC, &now));
             }},
            {"ptrace", ptrace_sibling},
            // kcmp(2) of the probe with itself: are its two memory maps the same?
            {"kcmp", [] { return errno_of(syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0)); }},
            {"userfaultfd",
             [] { return close_if(syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY)); }},
            {"io_uring_setup",
             [] {
                 io_uring_params params{};
                 return close_if(syscall(SYS_io_uring_setup, 1, &params));
             }},
            {"perf_event_open", perf_counter},
            // A bpf command no kernel has: EINVAL from the kernel, EPERM from the filter.
            {"bpf_bad_command",
             [] {
                 char attr[128] = {};
                 return errno_of(syscall(SYS_bpf, 9999, attr, sizeof attr));
             }},
            // `setarch -R`: no address-space randomisation for this process.
            {"personality_addr_no_randomize",
             [] {
                 return in_child(
                     [] { return errno_of(syscall(SYS_personality, ADDR_NO_RANDOMIZE)); });
             }},
            {"personality_query", [] { return errno_of(syscall(SYS_personality, 0xffffffffUL)); }},
            {"socket_vsock",
             [] { return close_if(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0)); }},
            {"socket_alg",
             [] { return close_if(socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)); }},
            {"socket_inet", [] { return close_if(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)); }},
#if defined(__x86_64__)
            // The same policy for 32-bit programs: getpid (i386 number 20) and
            // keyctl(KEYCTL_GET_KEYRING_ID, thread keyring) (288), in a child.
            {"int80_getpid", [] { return in_child([] { return int80_errno(int80(20)); }); }},
            {"int80_keyctl", [] {
                 return in_child([] {
                     return int80_errno(
                         int80(288, KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1));
                 });
             }},
#endif
    };
    return calls;
}

}  // namespace probe
