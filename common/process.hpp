// process.hpp: starting the container's first process, and waiting for it.
//
// The life of a container, as the parent (the runtime) sees it:
//
//   spawn()    clone(2) a child in new namespaces. The child stops at once
//              and waits on a pipe: the parent may still act on it from the
//              outside (later chapters: uid maps, cgroups, veth).
//   release()  tell the child to go on. It sets itself up (chroot, mounts,
//              hostname, ...) and execs the command. A failure in the child
//              comes back over a second pipe and is printed by the parent.
//   wait()     forward signals, reap the child, and return its exit status
//              the way a shell would: N, or 128+N if signal N killed it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "ns.hpp"

namespace process {

// What the child does once released. It either execs (process::exec never
// returns) or returns the exit status it wants (the init of 05-pid does).
using ChildMain = std::function<int()>;

class Container {
  public:
    Container(pid_t pid, fd::Fd pidfd, fd::Fd go, fd::Fd errors);
    Container(Container&& other) noexcept;
    Container& operator=(Container&&) = delete;
    ~Container();  // kills and reaps a child that was never waited for

    pid_t pid() const { return pid_; }

    // Lets the child run its setup and exec the command. Throws if the child
    // reports a failure before exec (the message names the failing call).
    void release();

    // Waits for the container to end and returns its exit status (0-255).
    int wait();

  private:
    pid_t pid_;
    fd::Fd pidfd_;   // pidfd of the child (clone(2) CLONE_PIDFD, Linux 5.2)
    fd::Fd go_;      // write end: one byte = "go on"
    fd::Fd errors_;  // read end: the child's error message, or EOF at exec
    bool reaped_ = false;
};

// clone(2) a child in the given new namespaces, running `child_main` once
// released. The signals wait() forwards are blocked from here on, so none
// is lost between the clone and the wait.
Container spawn(ns::Set namespaces, ChildMain child_main);

// In the child: execvp(3) the command. Never returns: on failure it reports
// the error to the parent and exits 127 (not found) or 126 (not executable).
[[noreturn]] void exec(const std::vector<std::string>& command);

// In the child: close our copy of the error pipe. A process that stays
// alive without exec (the init of 05-pid) calls it, or the parent would wait
// for an exec that never comes.
void close_error_pipe();

// The shell's view of a wait status: N for exit(N), 128+N for signal N.
int exit_status_of(int wait_status);

// The signals a runtime passes on to its container, and a container's
// init passes on to its command.
const std::vector<int>& forwarded_signals();

// Blocks the given signals for this process; returns the previous mask.
sigset_t block_signals(const std::vector<int>& signals);

}  // namespace process
