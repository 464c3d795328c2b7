#include "process.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <utility>

#include "error.hpp"
#include "explain.hpp"

namespace process {
namespace {

using error::check_syscall;

// How long a container may take to stop after a forwarded SIGTERM (or
// SIGINT, SIGHUP, SIGQUIT) before the runtime sends SIGKILL.
constexpr std::chrono::milliseconds kStopGrace{2000};

// The child's stack for clone(2). The child gets its own copy of the
// address space (no CLONE_VM), so the parent may free its copy at once.
constexpr size_t kStackSize = 1 << 20;

// What the child needs, passed through clone(2)'s `arg`.
struct ChildContext {
    ChildMain* main;
    int go_read, go_write;
    int errors_read, errors_write;
};

// Set in the child: where it reports errors. And the signal mask to restore
// before exec, so the command starts with the mask the runtime started with.
int g_error_fd = -1;
sigset_t g_mask_before_spawn;

void report_to_parent(const std::string& message) {
    // After close_error_pipe() nobody listens on the pipe: say it ourselves.
    if (g_error_fd < 0) {
        fmt::print(stderr, "{}: {}\n", program_invocation_short_name, message);
        return;
    }
    // write(2) may be partial; the message is short, but loop anyway.
    std::string_view rest = message;
    while (g_error_fd >= 0 && !rest.empty()) {
        ssize_t n = ::write(g_error_fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        rest.remove_prefix(static_cast<size_t>(n));
    }
}

// Blocks until the parent's "go" byte. False if the parent died first (EOF).
bool wait_for_go(int go_read) {
    char go = 0;
    ssize_t n;
    do n = ::read(go_read, &go, 1);
    while (n < 0 && errno == EINTR);
    ::close(go_read);
    return n == 1;
}

int child_trampoline(void* arg) {
    auto& ctx = *static_cast<ChildContext*>(arg);
    ::close(ctx.go_write);
    ::close(ctx.errors_read);
    g_error_fd = ctx.errors_write;
    try {
        // prctl(2) PR_SET_PDEATHSIG: if the runtime dies, even by SIGKILL,
        // the kernel kills this process too, so the container's first
        // process never outlives the runtime (its children may, until 05-pid).
        check_syscall(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl(PR_SET_PDEATHSIG, SIGKILL)");
        if (!wait_for_go(ctx.go_read)) ::_exit(125);
        ::_exit((*ctx.main)());
    } catch (const std::exception& e) {
        report_to_parent(error::describe(e));
    } catch (...) {
        report_to_parent("unknown error in the container's set-up");
    }
    ::_exit(125);
}

// mmap(2)'d stack, unmapped when it goes out of scope.
class Stack {
  public:
    Stack() {
        memory_ = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (memory_ == MAP_FAILED) throw error::syscall_error(errno, "mmap(stack)");
    }
    ~Stack() { ::munmap(memory_, kStackSize); }
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;
    // Stacks grow down on every architecture Linux containers run on.
    void* top() const { return static_cast<char*>(memory_) + kStackSize; }

  private:
    void* memory_;
};

std::string read_all(const fd::Fd& from) {
    std::string text;
    char buffer[512];
    for (;;) {
        ssize_t n = ::read(from.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return text;
        text.append(buffer, static_cast<size_t>(n));
    }
}

bool is_stop_signal(int signo) {
    return signo == SIGINT || signo == SIGTERM || signo == SIGHUP || signo == SIGQUIT;
}

}  // namespace

const std::vector<int>& forwarded_signals() {
    static const std::vector<int> signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    return signals;
}

sigset_t block_signals(const std::vector<int>& signals) {
    sigset_t set, previous;
    sigemptyset(&set);
    for (int signo : signals) sigaddset(&set, signo);
    check_syscall(::sigprocmask(SIG_BLOCK, &set, &previous), "sigprocmask(SIG_BLOCK)");
    return previous;
}

int exit_status_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 125;
}

Container spawn(ns::Set namespaces, ChildMain child_main) {
    fd::Pipe go = fd::make_pipe();
    fd::Pipe errors = fd::make_pipe();
    g_mask_before_spawn = block_signals(forwarded_signals());

    ChildContext ctx{&child_main, go.read.get(), go.write.get(), errors.read.get(),
                     errors.write.get()};
    Stack stack;
    int flags = ns::clone_flags(namespaces);
    bool plain = namespaces.size() == 0;
    explain::step(
        {plain ? "clone(SIGCHLD)" : fmt::format("clone({}|SIGCHLD)", ns::flag_names(namespaces)),
         plain ? "(a plain fork: no new namespace)" : ns::unshare_command(namespaces),
         "clone(2), namespaces(7)"});
    // clone(2): SIGCHLD makes it behave like fork() for wait(2);
    // CLONE_PIDFD (Linux 5.2) gives us a pidfd to poll(2) for the child's end.
    int pidfd = -1;
    pid_t pid = ::clone(child_trampoline, stack.top(), flags | CLONE_PIDFD | SIGCHLD, &ctx, &pidfd);
    check_syscall(pid, fmt::format("clone({})", ns::flag_names(namespaces)));
    // The parent keeps the write end of "go" and the read end of "errors";
    // the child's ends close here as the Pipe objects go out of scope.
    return Container(pid, fd::Fd{pidfd}, std::move(go.write), std::move(errors.read));
}

Container::Container(pid_t pid, fd::Fd pidfd, fd::Fd go, fd::Fd errors)
    : pid_(pid), pidfd_(std::move(pidfd)), go_(std::move(go)), errors_(std::move(errors)) {}

Container::Container(Container&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      go_(std::move(other.go_)),
      errors_(std::move(other.errors_)),
      reaped_(other.reaped_) {}

Container::~Container() {
    if (reaped_ || pid_ <= 0) return;
    // Never leave a process behind, even when the runtime gives up early.
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

void Container::release() {
    // If the child is already gone, write(2) must fail with EPIPE rather
    // than kill the runtime with SIGPIPE. (The child was cloned before this,
    // so the command it execs keeps the default disposition.)
    ::signal(SIGPIPE, SIG_IGN);
    char go = 1;
    check_syscall(::write(go_.get(), &go, 1), "write(sync pipe)");
    go_.reset();
    // The error pipe is O_CLOEXEC: a successful execve(2) in the child closes
    // it, so EOF with no text means the command is running.
    std::string message = read_all(errors_);
    errors_.reset();
    if (message.empty()) return;
    int status = 0;
    check_syscall(::waitpid(pid_, &status, 0), "waitpid(container)");
    reaped_ = true;
    throw error::ContainerFailed(message, exit_status_of(status));
}

int Container::wait() {
    sigset_t forwarded;
    sigemptyset(&forwarded);
    for (int signo : forwarded_signals()) sigaddset(&forwarded, signo);
    // signalfd(2): the blocked signals arrive as data we can poll(2) on
    // together with the child's pidfd. No async signal handlers needed.
    fd::Fd signals{check_syscall(::signalfd(-1, &forwarded, SFD_CLOEXEC), "signalfd")};

    using Clock = std::chrono::steady_clock;
    // When the container must be gone after a stop signal; max() = no deadline.
    Clock::time_point kill_at = Clock::time_point::max();
    for (;;) {
        int timeout = -1;
        if (kill_at != Clock::time_point::max()) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - Clock::now());
            timeout = static_cast<int>(std::max<long>(0, left.count()));
        }
        pollfd fds[2] = {{pidfd_.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
        int ready = ::poll(fds, 2, timeout);
        if (ready < 0 && errno == EINTR) continue;
        check_syscall(ready, "poll(pidfd, signalfd)");
        if (fds[0].revents & POLLIN) {
            int status = 0;
            check_syscall(::waitpid(pid_, &status, 0), "waitpid(container)");
            reaped_ = true;
            return exit_status_of(status);
        }
        if (ready == 0) {
            fmt::print(stderr,
                       "{}: the container is still running {} ms after the stop signal: "
                       "sending SIGKILL\n",
                       program_invocation_short_name, kStopGrace.count());
            ::kill(pid_, SIGKILL);
            kill_at = Clock::time_point::max();
            continue;
        }
        signalfd_siginfo info{};
        if (::read(signals.get(), &info, sizeof info) != sizeof info) continue;
        int signo = static_cast<int>(info.ssi_signo);
        // A terminal's ^C reaches the whole foreground process group, the
        // container included (si_code SI_KERNEL): passing it on would
        // deliver it twice. Forward only what a process sent us with kill(2).
        if (info.ssi_code == SI_KERNEL) continue;
        explain::step({fmt::format("kill({}, {})", pid_, sigabbrev_np(signo)),
                       fmt::format("kill -{} {}", sigabbrev_np(signo), pid_), "kill(2)"});
        // kill(2) can only fail with ESRCH here (the container just ended):
        // the pidfd reports that on the next turn.
        ::kill(pid_, signo);
        if (is_stop_signal(signo) && kill_at == Clock::time_point::max())
            kill_at = Clock::now() + kStopGrace;
    }
}

void close_error_pipe() {
    if (g_error_fd >= 0) ::close(g_error_fd);
    g_error_fd = -1;
}

void exec(const std::vector<std::string>& command) {
    std::vector<char*> argv;
    for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    std::string shell;
    for (const std::string& word : command)
        shell += (shell.empty() ? "" : " ") + explain::shell_quote(word);
    explain::step({fmt::format("execvp(\"{}\")", command.at(0)), "exec " + shell, "execve(2)"});
    check_syscall(::sigprocmask(SIG_SETMASK, &g_mask_before_spawn, nullptr),
                  "sigprocmask(SIG_SETMASK)");
    ::execvp(argv[0], argv.data());
    int err = errno;
    report_to_parent(fmt::format("execvp(\"{}\"): {}", command.at(0), std::strerror(err)));
    ::_exit(err == ENOENT ? 127 : 126);
}

}  // namespace process
