// error.hpp: honest errors.
//
// Every system call the toolkit makes goes through check_syscall(). When the
// call fails, the exception it throws names the call *and* its key argument,
// so the learner reads `mount("proc", "/proc"): Operation not permitted`
// instead of a bare "Operation not permitted".
//
// Exceptions travel up to the process edge (main(), or the cloned child,
// which reports them to its parent over a pipe) and nowhere else.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace error {

// Thrown for bad input from the user (missing rootfs, bad option value).
// main() turns it into one line on stderr and exit status 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Thrown by the stubs of the exercises ("not implemented yet: ...").
class NotImplemented : public std::logic_error {
  public:
    explicit NotImplemented(const std::string& task)
        : std::logic_error("not implemented yet: " + task) {}
};

// The system_error for `what` failing with `err`; what() reads "what: strerror".
inline std::system_error syscall_error(int err, const std::string& what) {
    return {err, std::generic_category(), what};
}

// Most syscalls return -1 and set errno on failure (syscalls(2)).
// Returns rc unchanged on success so the call can be used inline:
//   Fd fd{check_syscall(::open(path, O_RDONLY | O_CLOEXEC), "open(...)")};
template <typename Rc>
Rc check_syscall(Rc rc, const std::string& what) {
    if (rc == static_cast<Rc>(-1)) throw syscall_error(errno, what);
    return rc;
}

// libseccomp (and a few other libraries) return -errno instead of setting
// errno: seccomp_init(3) "Return Value". Wrap them with this one.
inline int check_negative_errno(int rc, const std::string& what) {
    if (rc < 0) throw syscall_error(-rc, what);
    return rc;
}

}  // namespace error

namespace error {

// The container's child failed before its command could run. Carries the
// message the child sent back and the exit status it ended with (125 for a
// failed set-up step, 126/127 when the command could not be executed).
class ContainerFailed : public std::runtime_error {
  public:
    ContainerFailed(const std::string& message, int exit_status)
        : std::runtime_error(message), exit_status_(exit_status) {}
    int exit_status() const { return exit_status_; }

  private:
    int exit_status_;
};

// The message for an exception, plus a hint where the likely cause is known:
// "mount(...): Operation not permitted (hint: are you root? try sudo)".
std::string describe(const std::exception& e);

}  // namespace error
