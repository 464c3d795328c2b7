// pid.hpp: chapter 05, a PID namespace and a real PID 1.
//
// In a new PID namespace (pid_namespaces(7), Linux 2.6.24) the first process
// is PID 1, and /proc, once mounted from inside, lists only the container's
// processes. PID 1 has two duties the kernel gives no other process:
//   - orphans are re-parented to it, so it must wait(2) for them, or their
//     zombies pile up in the process table;
//   - the kernel delivers it only the signals it has a handler for: a plain
//     program as PID 1 ignores SIGTERM and SIGINT.
// And when PID 1 dies, the kernel kills every other process in the namespace.
//
// Most programs were not written to be PID 1, so the container gets a tiny
// init (like tini, or `docker run --init`) that runs the command as PID 2.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "options.hpp"
#include "process.hpp"

namespace pid {

struct Settings {
    bool no_init = false;  // --no-init: the command is PID 1 itself
};

// The option group: --no-init.
extern const cli::Group options;

// Run as PID 1: start `command` as a child, forward signals to it, reap
// every zombie, and return the command's exit status when it ends.
int run_init(const process::Process& command);

// The calls the init is made of. waitpid(2) and kill(2) print their
// --explain step as they happen and throw when they fail: waitpid returns
// -1 for ECHILD (no child at all), kill ignores ESRCH (it has just ended).
// next_signal() waits, with sigwaitinfo(2), for SIGCHLD or one of the
// signals the init passes on (they must be blocked).
siginfo_t next_signal();
pid_t waitpid(pid_t pid, int* status, int options);
void kill(pid_t pid, int signo);

}  // namespace pid
