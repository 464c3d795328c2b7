#include "process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "console.hpp"
#include "error.hpp"
#include "explain.hpp"
#include "say.hpp"

namespace process {
namespace fs = std::filesystem;
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
        std::vector<int> keep = how.inherit;
        keep.push_back(end.get());
        close_all_but(keep);
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
    std::string flags = plain ? "" : how.namespaces.flag_names() + "|";
    std::string shell =
        plain ? "(a plain fork: no new namespace)" : how.namespaces.unshare_command();
    if (how.cgroup_fd >= 0) {
        // The shell has no CLONE_INTO_CGROUP: it moves itself first, then forks.
        // The directory's name, for the learner: what the fd was opened as.
        std::error_code ec;
        fs::path dir = fs::read_symlink(fmt::format("/proc/self/fd/{}", how.cgroup_fd), ec);
        flags += "CLONE_INTO_CGROUP|";
        shell = fmt::format("echo $$ > {}/cgroup.procs; {}", ec ? "CGROUP" : dir.string(), shell);
    }
    explain::step({fmt::format("clone3({}SIGCHLD)", flags), shell, "clone3(2), namespaces(7)"});
}

// --- becoming the command: shared by exec() and start_command() ---

// argv or envp as execve(2) takes them: the strings of `words`, then NULL.
std::vector<char*> c_strings(const std::vector<std::string>& words) {
    std::vector<char*> pointers;
    pointers.reserve(words.size() + 1);
    for (const std::string& word : words) pointers.push_back(const_cast<char*>(word.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

void explain_exec(const Process& command) {
    // The shell spelling: `env -i` starts from an empty environment, as we do.
    std::string shell = "exec env -i";
    for (const std::string& word : command.env) shell += " " + explain::shell_quote(word);
    for (const std::string& word : command.argv) shell += " " + explain::shell_quote(word);
    explain::step({fmt::format("execvp(\"{}\")", command.argv.at(0)), shell, "execve(2)"});
}

// The step of exec_prepared() that failed, and its errno.
constexpr const char* kExecvp = "execvp";
struct ExecFailure {
    const char* call = nullptr;  // nullptr: nothing failed
    int error = 0;
};

// The last steps before the command runs. System calls only: no allocation,
// no exception, no output, so that a child that shares our memory
// (start_command's CLONE_VM child) may run them as safely as a forked one.
// Its fd table and signal dispositions are its own even then (no
// CLONE_FILES, no CLONE_SIGHAND): what it changes here, we keep as it was.
// Returns only if a step failed.
ExecFailure exec_prepared(char* const* argv, char** envp) {
    // The command starts as a program started by a shell would: the signal
    // mask the runtime was given, SIGPIPE back to its default.
    if (::sigprocmask(SIG_SETMASK, &g_mask_at_start, nullptr) < 0)
        return {"sigprocmask(SIG_SETMASK)", errno};
    ::signal(SIGPIPE, SIG_DFL);
    // Only fds 0-2 survive execve(2): every other one is marked close-on-exec
    // (CLOSE_RANGE_CLOEXEC, so the channel stays usable if exec fails).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return {"close_range(3, ~0U, CLOEXEC)", errno};
    // execvp(3) looks argv[0] up in the PATH of *our* environment: make it
    // the command's, which is then passed on whole.
    environ = envp;
    ::execvp(argv[0], argv);
    return {kExecvp, errno};
}

// As a shell reports a command it could not run: 127 not found, 126 not executable.
int exit_status_of_exec(int err) {
    return err == ENOENT ? 127 : 126;
}

std::string describe(const ExecFailure& failure, const Process& command) {
    if (failure.call == kExecvp)
        return fmt::format("execvp(\"{}\"): {}", command.argv.at(0), std::strerror(failure.error));
    return fmt::format("{}: {}", failure.call, std::strerror(failure.error));
}

// What start_command's child needs, all made before it exists.
struct Launch {
    std::vector<char*> argv, envp;
    ExecFailure failure;  // written by the child if it could not exec
};

// The child of start_command: runs on its own small stack in our memory.
int launch_command(void* arg) {
    auto* launch = static_cast<Launch*>(arg);
    // The command dies with the process that started it (prctl(2)
    // PR_SET_PDEATHSIG, kept across execve(2)). In a container that is PID 1,
    // whose end kills the whole PID namespace anyway; `exec`'s process is
    // not PID 1, and a SIGKILLed `11-full exec` must not leave its command.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
        launch->failure = {"prctl(PR_SET_PDEATHSIG, SIGKILL)", errno};
        ::_exit(125);
    }
    launch->failure = exec_prepared(launch->argv.data(), launch->envp.data());
    ::_exit(launch->failure.call == kExecvp ? exit_status_of_exec(launch->failure.error) : 125);
}

// The stack of start_command's child: mmap(2)ed, so only the pages it
// touches cost anything. Sized as glibc's posix_spawn(3) sizes its own
// (argv plus 32 KiB), with room to spare: execvp(3) keeps a copy of argv on
// the stack (to run a script without #! through /bin/sh) and a PATH entry
// joined with the name.
class ChildStack {
  public:
    explicit ChildStack(size_t argc) {
        long page = ::sysconf(_SC_PAGESIZE);
        size_ = (64 * 1024 + (argc + 2) * sizeof(char*) + PATH_MAX + page - 1) /
                static_cast<size_t>(page) * static_cast<size_t>(page);
        base_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (base_ == MAP_FAILED)
            throw error::syscall_error(errno, fmt::format("mmap(stack, {})", size_));
    }
    ChildStack(const ChildStack&) = delete;
    ChildStack& operator=(const ChildStack&) = delete;
    ~ChildStack() { ::munmap(base_, size_); }
    // The stack grows down (x86-64, arm64): the child starts at the top.
    void* top() const { return static_cast<char*>(base_) + size_; }

  private:
    void* base_;
    size_t size_;
};

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
    return with_entries(std::move(env), user);
}

std::vector<std::string> with_entries(std::vector<std::string> env,
                                      const std::vector<std::string>& user) {
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
    explain::step({"clone(CLONE_VM|CLONE_VFORK|SIGCHLD)",
                   "docker run --init (tini) does the same: the command runs as PID 2",
                   "clone(2), posix_spawn(3)"});
    explain_exec(command);
    // The init asks nothing of the command but its exit status: a copy of
    // our memory (fork(2)) would be made only to be thrown away by execve(2).
    // CLONE_VM lends the child our memory instead; CLONE_VFORK stops us until
    // its execve(2) (or _exit) gives it back. posix_spawn(3) works the same way.
    Launch launch{c_strings(command.argv), c_strings(command.env), {}};
    // The same message as exec()'s before its execve(2): set-up is done.
    if (g_channel != nullptr) g_channel->send(channel::Kind::ready);
    ChildStack stack(launch.argv.size());
    // No signal handler may run in the child, on our memory: all signals
    // wait until the child has set the command's own mask (exec_prepared).
    sigset_t all, ours;
    sigfillset(&all);
    check_syscall(::sigprocmask(SIG_SETMASK, &all, &ours), "sigprocmask(SIG_SETMASK, all)");
    char** our_environ = environ;
    pid_t pid = ::clone(launch_command, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD, &launch);
    int clone_errno = errno;
    environ = our_environ;  // the child's `environ = envp` wrote to our memory
    ::sigprocmask(SIG_SETMASK, &ours, nullptr);
    if (pid < 0) throw error::syscall_error(clone_errno, "clone(CLONE_VM|CLONE_VFORK)");
    if (launch.failure.call != nullptr) {
        // The child has ended (127, 126 or 125): tell the runtime why, as
        // exec() would have; the caller reaps the child as it reaps the command.
        std::string message = describe(launch.failure, command);
        if (g_channel == nullptr || !g_channel->send(channel::Kind::failed, message))
            say::error(program_invocation_short_name, message);
    }
    return pid;
}

void report_running() {
    if (g_channel != nullptr) g_channel->close();
}

void send_console(const fd::Fd& master) {
    if (g_channel != nullptr) g_channel->send(channel::Kind::console, {}, master.get());
}

void exec(const Process& command) {
    std::vector<char*> argv = c_strings(command.argv), envp = c_strings(command.env);
    explain_exec(command);
    if (g_channel != nullptr) g_channel->send(channel::Kind::ready);
    ExecFailure failure = exec_prepared(argv.data(), envp.data());
    if (failure.call != kExecvp) throw error::syscall_error(failure.error, failure.call);
    std::string message = describe(failure, command);
    if (g_channel == nullptr || !g_channel->send(channel::Kind::failed, message))
        say::error(program_invocation_short_name, message);
    ::_exit(exit_status_of_exec(failure.error));
}

}  // namespace process
