// console.hpp: the container's own terminal.
//
// A container that shares the caller's terminal can push keystrokes into it:
// ioctl(TIOCSTI) injects bytes into a terminal's input queue, and the caller's
// shell reads them as typed once the container exits (bubblewrap's
// CVE-2017-5226). So the container never gets the caller's terminal:
//
//   - stdin (or stdout, or stderr) is a terminal: the child opens a new
//     pseudo-terminal from the container's own devpts (pty(7)), passes the
//     master to the runtime over the sync channel (SCM_RIGHTS), and makes the
//     slave its controlling terminal, /dev/console, and each of fds 0-2 that
//     was a terminal. The runtime puts the caller's terminal in raw mode,
//     relays the bytes, passes on window-size changes (SIGWINCH), and restores
//     the terminal however the run ends.
//   - otherwise: no terminal at all. The child starts a new session
//     (setsid(2)), so it has no controlling terminal.
// Either way the container holds no fd of the caller's terminal: with
// CAP_SYS_ADMIN, TIOCSTI works on any terminal fd, controlling or not.
#pragma once

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include "fd.hpp"

namespace console {

struct Config {
    bool terminal[3] = {};     // which of the caller's fds 0-2 are terminals
    bool dev_console = false;  // bind the pty on /dev/console (there is a private /dev)
    bool any() const { return terminal[0] || terminal[1] || terminal[2]; }
};

// isatty(3) of fds 0-2: what `docker run -t` decides by a flag.
Config detect();

// In the child, once its /dev is ready and just before the command starts.
void attach(const Config& config);

// In the runtime: relays bytes between the caller's stdin/stdout and the master.
class Relay {
  public:
    // Raw mode on stdin if it is a terminal; output goes to the caller's
    // first terminal among fds 1 and 2.
    Relay(fd::Fd master, const Config& config);
    ~Relay();  // restores the caller's terminal
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Fills up to 2 pollfds to watch; returns how many.
    nfds_t poll_fds(pollfd* fds) const;
    // Moves the bytes poll(2) said are ready (fds as filled by poll_fds).
    void on_ready(const pollfd* fds);
    // SIGWINCH: the caller's terminal changed size; tell the container's.
    void resize();
    // The container ended: print what it wrote that we have not relayed yet.
    void drain();

  private:
    bool copy(int from, int to);

    fd::Fd master_;
    int out_ = STDOUT_FILENO;
    bool stdin_open_ = true;
    bool master_open_ = true;
    bool raw_ = false;
    termios saved_{};
};

}  // namespace console
