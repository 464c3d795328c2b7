#include "process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "console.hpp"
#include "error.hpp"
#include "explain.hpp"
#include "say.hpp"

namespace process {
namespace {

using error::check_syscall;

// How long a container may take to stop after a forwarded SIGTERM (or
// SIGINT, SIGHUP, SIGQUIT) before the runtime sends SIGKILL.
constexpr std::chrono::milliseconds kStopGrace{2000};

// The mask the runtime started with, restored in the command before exec.
sigset_t g_mask_at_start;
bool g_started = false;

// In the child: its end of the sync channel.
channel::End* g_channel = nullptr;

bool is_stop_signal(int signo) {
    return signo == SIGINT || signo == SIGTERM || signo == SIGHUP || signo == SIGQUIT;
}

// The runtime's own signals: the forwarded ones, and SIGWINCH for the terminal.
std::vector<int> runtime_signals() {
    std::vector<int> signals = forwarded_signals();
    signals.push_back(SIGWINCH);
    return signals;
}

fd::Fd make_signalfd() {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : runtime_signals()) sigaddset(&set, signo);
    // signalfd(2): the blocked signals arrive as data we can poll(2) on
    // together with the child's pidfd. No async signal handlers needed.
    return fd::Fd{check_syscall(::signalfd(-1, &set, SFD_CLOEXEC), "signalfd")};
}

// The next signal waiting in the signalfd, with who sent it.
std::optional<signalfd_siginfo> read_signal(const fd::Fd& signals) {
    signalfd_siginfo info{};
    if (::read(signals.get(), &info, sizeof info) != sizeof info) return std::nullopt;
    return info;
}

// close_range(2) (Linux 5.9) around the fds the child still needs: the
// container must not inherit a file the caller happened to have open
// (runc's CVE-2024-21626 was a leaked fd of the host's cgroup directory).
void close_all_but(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (int fd : keep) {
        if (fd < 3) continue;
        if (static_cast<unsigned>(fd) > first)
            check_syscall(::close_range(first, static_cast<unsigned>(fd) - 1, 0), "close_range");
        first = static_cast<unsigned>(fd) + 1;
    }
    check_syscall(::close_range(first, ~0U, 0), fmt::format("close_range({}, ~0U)", first));
}

// Blocks until the runtime's "go". False if the runtime died first (EOF).
bool wait_for_go() {
    std::optional<channel::Message> message = g_channel->receive();
    return message && message->kind == channel::Kind::go;
}

[[noreturn]] void run_child(const Spawn& how, channel::End child_end, const ChildMain& child_main) {
    channel::End end = std::move(child_end);
    g_channel = &end;
    try {
        if (how.die_with_parent) arm_death_signal();
        close_all_but({end.get()});
        if (!wait_for_go()) ::_exit(125);
        ::_exit(child_main());
    } catch (const std::exception& e) {
        if (!end.send(channel::Kind::failed, error::describe(e)))
            say::error(program_invocation_short_name, error::describe(e));
    } catch (...) {
        end.send(channel::Kind::failed, "unknown error in the container's set-up");
    }
    ::_exit(125);
}

// clone3(2) (Linux 5.3; no glibc wrapper in 2.36). Without CLONE_VM and
// with no stack given, the child runs on a copy of our stack, like fork(2):
// no stack to allocate, and CLONE_INTO_CGROUP (5.7) is one field away.
pid_t clone3(const Spawn& how, int* pidfd) {
    clone_args args{};
    args.flags = how.namespaces.clone_flags() | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;  // reported to wait(2) as a child, like fork(2)
    if (how.cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(how.cgroup_fd);
    }
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

void explain_clone(const Spawn& how) {
    bool plain = how.namespaces.empty();
    explain::step(
        {plain ? "clone3(SIGCHLD)" : fmt::format("clone3({}|SIGCHLD)", how.namespaces.flag_names()),
         plain ? "(a plain fork: no new namespace)" : how.namespaces.unshare_command(),
         "clone3(2), namespaces(7)"});
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

std::vector<std::string> clean_environment(const std::string& hostname,
                                           const std::vector<std::string>& user) {
    // Docker's default PATH, and the variables every container runtime sets.
    std::vector<std::string> env{
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"};
    if (const char* term = ::getenv("TERM")) env.push_back(fmt::format("TERM={}", term));
    if (!hostname.empty()) env.push_back("HOSTNAME=" + hostname);
    env.push_back("container=unshared");
    for (const std::string& entry : user) {
        size_t equals = entry.find('=');
        std::string name = entry.substr(0, equals);
        if (name.empty() || name.find_first_of(" \t\n") != std::string::npos)
            throw error::UsageError(
                fmt::format("-e {}: expected NAME=VALUE (or NAME, to pass on our value)", entry));
        std::string value;
        if (equals != std::string::npos) {
            value = entry.substr(equals + 1);
        } else if (const char* ours = ::getenv(name.c_str())) {
            value = ours;
        } else {
            continue;  // NAME alone, and we have none: as docker run -e does
        }
        std::erase_if(env, [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
        env.push_back(name + "=" + value);
    }
    return env;
}

void start_runtime() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        // open(2) returns the lowest free number: exactly the missing one.
        ::open("/dev/null", O_RDWR);
    }
    ::signal(SIGPIPE, SIG_IGN);
    g_mask_at_start = block_signals(runtime_signals());
    g_started = true;
}

Container spawn(const Spawn& how, ChildMain child_main) {
    if (!g_started) start_runtime();
    auto [runtime_end, child_end] = channel::make_pair();
    explain_clone(how);
    int pidfd = -1;
    pid_t pid = clone3(how, &pidfd);
    if (pid == 0) {
        runtime_end.close();  // the child keeps only its own end
        run_child(how, std::move(child_end), child_main);
    }
    if (pid < 0 && errno == ENOSYS)
        throw error::syscall_error(ENOSYS, "clone3: needs Linux 5.3 or later");
    check_syscall(pid, fmt::format("clone3({})", how.namespaces.flag_names()));
    return Container(pid, fd::Fd{pidfd}, std::move(runtime_end));
}

Container::Container(pid_t pid, fd::Fd pidfd, channel::End channel)
    : pid_(pid),
      pidfd_(std::move(pidfd)),
      channel_(std::move(channel)),
      signals_(make_signalfd()) {}

Container::Container(Container&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      channel_(std::move(other.channel_)),
      signals_(std::move(other.signals_)),
      console_(std::move(other.console_)),
      pending_(std::move(other.pending_)),
      reaped_(other.reaped_),
      detached_(other.detached_) {}

Container::~Container() {
    if (reaped_ || detached_ || pid_ <= 0) return;
    // Never leave a process behind, even when the runtime gives up early.
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
}

int Container::reap() {
    int status = 0;
    pid_t rc;
    do rc = ::waitpid(pid_, &status, 0);
    while (rc < 0 && errno == EINTR);
    check_syscall(rc, "waitpid(container)");
    reaped_ = true;
    return exit_status_of(status);
}

void Container::forward(int signo) {
    explain::step({fmt::format("kill({}, {})", pid_, sigabbrev_np(signo)),
                   fmt::format("kill -{} {}", sigabbrev_np(signo), pid_), "kill(2)"});
    // kill(2) can only fail with ESRCH here (the container just ended):
    // the pidfd reports that on the next turn.
    ::kill(pid_, signo);
}

void Container::release() {
    if (!channel_.send(channel::Kind::go)) {
        int status = reap();
        throw error::ContainerFailed("the container's process ended before its set-up", status);
    }
    std::string failure;
    for (;;) {
        pollfd fds[2] = {{channel_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            check_syscall(-1, "poll(sync channel, signalfd)");
        }
        // The channel first: when the child's EOF (its exec) and a signal
        // arrive together, the set-up is over and the signal is the
        // command's (wait() serves it), not a stop during the set-up.
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            std::optional<channel::Message> message = channel_.receive();
            if (!message) break;  // EOF: execve(2) closed the child's end, or it died
            if (message->kind == channel::Kind::console) console_ = std::move(message->fd);
            if (message->kind == channel::Kind::failed) failure = message->text;
            continue;
        }
        if (!(fds[1].revents & POLLIN)) continue;
        std::optional<signalfd_siginfo> info = read_signal(signals_);
        if (!info || info->ssi_signo == SIGWINCH) continue;
        int signo = static_cast<int>(info->ssi_signo);
        if (!is_stop_signal(signo)) {
            pending_.push_back(signo);  // for the command, once it runs
            continue;
        }
        // Stopped while setting up: nothing ran yet that deserves a grace time.
        ::kill(pid_, SIGKILL);
        reap();
        throw error::ContainerFailed(
            fmt::format("stopped by {} during the set-up", sigabbrev_np(signo)), 128 + signo);
    }
    channel_.close();
    if (failure.empty()) return;
    int status = reap();
    throw error::ContainerFailed(failure, status);
}

int Container::wait() {
    std::optional<console::Relay> relay;
    if (console_) relay.emplace(std::move(console_), console::detect());
    for (int signo : pending_) forward(signo);
    pending_.clear();

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
        pollfd fds[4] = {{pidfd_.get(), POLLIN, 0}, {signals_.get(), POLLIN, 0}};
        nfds_t count = 2 + (relay ? relay->poll_fds(fds + 2) : 0);
        int ready = ::poll(fds, count, timeout);
        if (ready < 0 && errno == EINTR) continue;
        check_syscall(ready, "poll(pidfd, signalfd)");
        if (relay) relay->on_ready(fds + 2);
        if (fds[0].revents & POLLIN) {
            if (relay) relay->drain();
            return reap();
        }
        if (ready == 0) {
            // SIGKILL first, then say so: a full stderr must not delay the kill.
            ::kill(pid_, SIGKILL);
            kill_at = Clock::time_point::max();
            say::error(program_invocation_short_name,
                       fmt::format("the container was still running {} ms after the stop "
                                   "signal: sent SIGKILL",
                                   kStopGrace.count()));
            continue;
        }
        if (!(fds[1].revents & POLLIN)) continue;
        std::optional<signalfd_siginfo> info = read_signal(signals_);
        if (!info) continue;
        int signo = static_cast<int>(info->ssi_signo);
        if (signo == SIGWINCH) {
            if (relay) relay->resize();
            continue;
        }
        // Forwarded whoever sent it: the container has its own session (and
        // terminal), so a ^C typed at the caller's terminal reaches only us.
        forward(signo);
        if (is_stop_signal(signo) && kill_at == Clock::time_point::max())
            kill_at = Clock::now() + kStopGrace;
    }
}

void arm_death_signal() {
    check_syscall(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl(PR_SET_PDEATHSIG, SIGKILL)");
    // The runtime may have died before the line above ran: then no death
    // signal will ever come. Its end of the channel closes when it dies,
    // which poll(2) reports as POLLHUP on ours. (getppid(2) cannot tell:
    // in a new PID namespace it returns 0 whoever the parent is.)
    if (g_channel == nullptr) return;
    pollfd p{g_channel->get(), 0, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & POLLHUP)) ::_exit(125);
}

pid_t start_command(const Process& command) {
    explain::step(
        {"fork()", "docker run --init (tini) does the same: the command runs as PID 2", "fork(2)"});
    pid_t pid = check_syscall(::fork(), "fork()");
    if (pid == 0) exec(command);  // never returns
    return pid;
}

void report_running() {
    if (g_channel != nullptr) g_channel->close();
}

void send_console(const fd::Fd& master) {
    if (g_channel != nullptr) g_channel->send(channel::Kind::console, {}, master.get());
}

void exec(const Process& command) {
    std::vector<char*> argv, envp;
    for (const std::string& word : command.argv) argv.push_back(const_cast<char*>(word.c_str()));
    for (const std::string& entry : command.env) envp.push_back(const_cast<char*>(entry.c_str()));
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    std::string shell;
    for (const std::string& word : command.argv)
        shell += (shell.empty() ? "" : " ") + explain::shell_quote(word);
    explain::step({fmt::format("execvp(\"{}\")", command.argv.at(0)),
                   fmt::format("env -i ({} variables) {}", command.env.size(), shell),
                   "execve(2)"});
    // The command starts as a program started by a shell would: the signal
    // mask the runtime was given, SIGPIPE back to its default.
    check_syscall(::sigprocmask(SIG_SETMASK, &g_mask_at_start, nullptr),
                  "sigprocmask(SIG_SETMASK)");
    ::signal(SIGPIPE, SIG_DFL);
    if (g_channel != nullptr) g_channel->send(channel::Kind::ready);
    // Only fds 0-2 survive execve(2): every other one is marked close-on-exec
    // (CLOSE_RANGE_CLOEXEC, so the channel stays usable if exec fails).
    check_syscall(::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC), "close_range(3, ~0U, CLOEXEC)");
    // execvp(3) looks argv[0] up in the PATH of *our* environment: make it
    // the command's, which is then passed on whole.
    environ = envp.data();
    ::execvp(argv[0], argv.data());
    int err = errno;
    std::string message = fmt::format("execvp(\"{}\"): {}", command.argv.at(0), std::strerror(err));
    if (g_channel == nullptr || !g_channel->send(channel::Kind::failed, message))
        say::error(program_invocation_short_name, message);
    ::_exit(err == ENOENT ? 127 : 126);
}

}  // namespace process
