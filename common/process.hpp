// process.hpp: starting the container's first process, and waiting for it.
//
// The life of a container, as the runtime sees it (design.md, section 11):
//
//   spawn()     clone3(2) a child in new namespaces. The child stops at once
//               and waits on the sync channel (channel.hpp): the runtime may
//               still act on it from the outside (later chapters: uid maps,
//               cgroups, a veth).
//   release()   tell the child to go on. It sets itself up (root, mounts,
//               hostname, ...) and execs the command. A failure in the child
//               comes back over the channel and is thrown here; so does a
//               stop signal (SIGINT, SIGTERM, ...) that arrives meanwhile.
//   wait()      forward signals, relay the container's terminal, reap the
//               child, and return its exit status the way a shell would: N,
//               or 128+N if signal N killed it.
//
// In the child, exec() starts the command with exactly fds 0-2, its own
// environment and the signal mask the runtime started with.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "channel.hpp"
#include "fd.hpp"
#include "ns.hpp"

namespace process {

// The command the container runs, and everything it inherits from us.
struct Process {
    std::vector<std::string> argv;  // never empty; argv[0] is looked up in env's PATH
    std::vector<std::string> env;   // "NAME=value": exactly the command's environment
};

// How to start the container's first process.
struct Spawn {
    ns::Set namespaces;           // the new namespaces it is born in
    int cgroup_fd = -1;           // >= 0: born in this cgroup (clone3 CLONE_INTO_CGROUP, v2)
    bool die_with_parent = true;  // PR_SET_PDEATHSIG: it dies if the runtime dies
    // The fds the child keeps open until it execs (every other one is closed
    // at its start): `exec`'s pidfd of the container to join, say.
    std::vector<int> inherit{};
};

// What the child does once released. It either execs (process::exec never
// returns) or returns the exit status it wants (the init of 05-pid does).
using ChildMain = std::function<int()>;

class Container {
  public:
    Container(pid_t pid, fd::Fd pidfd, channel::End channel);
    Container(Container&& other) noexcept;
    Container& operator=(Container&&) = delete;
    ~Container();  // kills and reaps a child that was neither waited for nor detached

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }

    // Lets the child set up and exec the command. Throws error::ContainerFailed
    // if a set-up step fails (the message names it) or a stop signal arrives.
    void release();

    // Waits for the container to end and returns its exit status (0-255).
    int wait();

    // Leaves the container running when this object goes (a later OCI
    // `create`): the runtime may exit, and the child no longer dies with it
    // only if it was spawned with die_with_parent = false.
    void detach() { detached_ = true; }

  private:
    void forward(int signo);
    int reap();

    pid_t pid_;
    fd::Fd pidfd_;              // clone3(2) CLONE_PIDFD (Linux 5.3): poll(2)-able end of the child
    channel::End channel_;      // our end of the sync channel
    fd::Fd signals_;            // signalfd(2) of the forwarded signals
    fd::Fd console_;            // master of the container's terminal, if it has one
    std::vector<int> pending_;  // signals that arrived during set-up, for the command
    bool reaped_ = false;
    bool detached_ = false;
};

// First thing in main(): makes sure fds 0-2 are open (on /dev/null if the
// caller closed them, so none of our own fds can become the container's
// stdin/stdout/stderr), ignores SIGPIPE (a closed pipe is an error to
// report, not a death), and blocks the forwarded signals: from here on a
// SIGTERM waits in the signalfd until release() or wait() serves it.
void start_runtime();

// The command's whole environment: PATH, HOME, TERM (if ours has it),
// HOSTNAME (if given), container=unshared, then `user` (-e NAME=VALUE, or
// NAME alone for our value of NAME), which may override them. Nothing else
// of ours: the caller's environment may hold secrets. Throws
// error::UsageError for a malformed entry.
std::vector<std::string> clean_environment(const std::string& hostname,
                                           const std::vector<std::string>& user);
// `env` with the -e entries of `user` applied, as clean_environment does
// (`exec` adds them to the container's own environment).
std::vector<std::string> with_entries(std::vector<std::string> env,
                                      const std::vector<std::string>& user);

// clone3(2) a child as `how` says, running `child_main` once released.
Container spawn(const Spawn& how, ChildMain child_main);

// In the child: become the command. Never returns: on failure it reports
// the error to the runtime and exits 127 (not found) or 126 (not executable).
[[noreturn]] void exec(const Process& command);

// In the container's init: starts `command` as a child of ours that execs
// it (exec() above), and returns its pid. The command's set-up failures
// reach the runtime as if the init had exec'd it itself.
pid_t start_command(const Process& command);

// In the child: set-up is over, the runtime may stop waiting for an exec.
// A process that stays alive without exec (the init of 05-pid) calls it.
void report_running();

// In the child: hands the master of the container's terminal to the runtime.
void send_console(const fd::Fd& master);

// In the child: asks the kernel to SIGKILL us when the runtime dies
// (prctl(2) PR_SET_PDEATHSIG), then checks that it has not died already.
// A credential change (setuid, setgid) clears the setting: call it again.
void arm_death_signal();

// The shell's view of a wait status: N for exit(N), 128+N for signal N.
int exit_status_of(int wait_status);

// The signals a runtime passes on to its container, and a container's
// init passes on to its command.
const std::vector<int>& forwarded_signals();

// Blocks the given signals for this process; returns the previous mask.
sigset_t block_signals(const std::vector<int>& signals);

}  // namespace process
