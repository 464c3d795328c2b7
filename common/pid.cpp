#include "pid.hpp"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <string>

#include "error.hpp"
#include "explain.hpp"
#include "process.hpp"
#include "spec.hpp"

namespace pid {

using error::check_syscall;

namespace {

// What the init waits for: a child ended (SIGCHLD), or a signal to pass on.
const std::vector<int>& waited_signals() {
    static const std::vector<int> signals = [] {
        std::vector<int> waited = process::forwarded_signals();
        waited.push_back(SIGCHLD);
        return waited;
    }();
    return signals;
}

}  // namespace

siginfo_t next_signal() {
    sigset_t set;
    sigemptyset(&set);
    for (int signo : waited_signals()) sigaddset(&set, signo);
    for (;;) {
        siginfo_t info{};
        if (::sigwaitinfo(&set, &info) >= 0) return info;
        if (errno != EINTR) throw error::syscall_error(errno, "sigwaitinfo(SIGCHLD and more)");
    }
}

pid_t waitpid(pid_t pid, int* status, int options) {
    std::string call = fmt::format("waitpid({}, &status, {})", pid,
                                   options & WNOHANG ? "WNOHANG" : std::to_string(options));
    explain::step({call, pid == -1 ? "wait" : fmt::format("wait {}", pid), "waitpid(2)"});
    pid_t ended = ::waitpid(pid, status, options);
    // ECHILD (no child at all) is an answer, not a failure: return it as -1.
    if (ended < 0 && errno != ECHILD) throw error::syscall_error(errno, call);
    return ended;
}

void kill(pid_t pid, int signo) {
    explain::step({fmt::format("kill({}, {})", pid, sigabbrev_np(signo)),
                   fmt::format("kill -{} {}", sigabbrev_np(signo), pid), "kill(2)"});
    // ESRCH, if the process has just ended, is fine: its SIGCHLD follows.
    if (::kill(pid, signo) < 0 && errno != ESRCH)
        throw error::syscall_error(errno, fmt::format("kill({}, {})", pid, sigabbrev_np(signo)));
}

int run_init(const process::Process& command) {
    // The name ps(1) shows for us (prctl(2) PR_SET_NAME).
    check_syscall(::prctl(PR_SET_NAME, "init"), "prctl(PR_SET_NAME, \"init\")");
    // Signals arrive one at a time through sigwaitinfo(2) (next_signal): no
    // handlers, no races. Blocked, they wait for us to ask.
    process::block_signals(waited_signals());

    // EXERCISE 05-pid: be the container's PID 1: run the command as PID 2, pass signals
    //   on to it, reap every child that ends, and end with the command's exit status.
    // TOOLS: process::start_command(command): forks a child that execs the command;
    //   returns its pid.
    // TOOLS: process::report_running(): tells the runtime the set-up is over (an init
    //   never execs, which is how the runtime would know otherwise).
    // TOOLS: next_signal(): waits for SIGCHLD or a signal to pass on; returns its siginfo_t.
    // TOOLS: waitpid(pid, &status, options) and kill(pid, signo): waitpid(2) and kill(2),
    //   narrated and checked.
    // TOOLS: process::exit_status_of(status): the shell's view of a wait status.
    // QUESTION: Orphans are re-parented to PID 1. What happens to one that ends if
    //   nobody waits for it? And to the container when PID 1 ends?
    // QUESTION: A plain program as PID 1 ignores SIGTERM: why, and why is an init that
    //   has no handler either still able to pass it on? (pid_namespaces(7), signal(7))
    // HINT: Read signal(7), "Queueing and delivery semantics for standard signals":
    //   how many SIGCHLDs do ten children that end at once give you?
    // HINT: Read waitpid(2): which pid means "any child", and which option makes it
    //   return 0 instead of waiting while children are left but none has ended?
    // HINT: What waitpid(2) gives you is a wait status, not an exit status: the shell
    //   shows exit(7) as 7 and death by SIGKILL as 137 (see WIFEXITED, WTERMSIG).
    // HINT: Shape: start the command and report running; then forever: take the next
    //   signal; for SIGCHLD, reap with waitpid until it says none has ended, returning
    //   when the command is among them; for anything else sent with kill(2) (si_code
    //   not SI_KERNEL), kill the command with it.
    pid_t command_pid = process::start_command(command);
    process::report_running();
    for (;;) {
        siginfo_t info = next_signal();
        if (info.si_signo != SIGCHLD) {
            // A terminal's ^C already reached the command (same process group):
            // pass on only what a process sent with kill(2).
            if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
            continue;
        }
        // Signals do not queue: one SIGCHLD may stand for many ended children.
        int status = 0;
        for (pid_t ended; (ended = waitpid(-1, &status, WNOHANG)) > 0;)
            if (ended == command_pid) return process::exit_status_of(status);
    }
    // END EXERCISE
}

namespace {

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_flag("--no-init", spec.pid.no_init,
                 "Run the command as PID 1 itself, without the small init that reaps\n"
                 "zombies and passes signals on: see what goes wrong.");
}

}  // namespace

const cli::Group options{"pid", add_options, nullptr};

}  // namespace pid
