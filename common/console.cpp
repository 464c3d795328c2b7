#include "console.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>

#include "error.hpp"
#include "explain.hpp"
#include "inroot.hpp"
#include "mnt.hpp"
#include "process.hpp"
#include "say.hpp"

namespace console {
namespace {

using error::check_syscall;

// A new pty pair. /dev/ptmx is the container's own (a link to pts/ptmx of
// its devpts) from chapter 02 on; in 01, the host's. TIOCGPTPEER (Linux
// 4.13) opens the slave through the master itself, never by a /dev/pts path
// that could have been swapped.
std::pair<fd::Fd, fd::Fd> open_pty() {
    explain::step({"open(\"/dev/ptmx\"), ioctl(TIOCGPTPEER)",
                   "(a new pseudo-terminal, as script(1) or docker run -t make)", "pty(7)"});
    fd::Fd master{
        check_syscall(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), "open(\"/dev/ptmx\")")};
    check_syscall(::unlockpt(master.get()), "unlockpt(/dev/ptmx)");
    fd::Fd slave{check_syscall(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC),
                               "ioctl(TIOCGPTPEER)")};
    return {std::move(master), std::move(slave)};
}

// /dev/console of a container is its terminal (runtime-spec, config.md).
// The empty file it is bound on is made in our own tmpfs /dev.
void bind_dev_console(const fd::Fd& slave) {
    fd::Fd root = inroot::open_directory("/");
    fd::Fd target = inroot::make(root, "/dev/console", inroot::Kind::regular_file, 0600);
    mnt::mount(inroot::fd_path(slave).c_str(), inroot::fd_path(target), "/dev/console", nullptr,
               MS_BIND, nullptr);
}

void become_session_leader() {
    explain::step({"setsid()", "setsid", "setsid(2)"});
    check_syscall(::setsid(), "setsid()");
}

}  // namespace

Config detect() {
    Config config;
    for (int fd = 0; fd <= 2; ++fd) config.terminal[fd] = ::isatty(fd) == 1;
    return config;
}

void attach(const Config& config) {
    if (!config.any()) {
        become_session_leader();  // and so no controlling terminal
        return;
    }
    auto [master, slave] = open_pty();
    process::send_console(master);
    master.reset();
    become_session_leader();
    explain::step({"ioctl(pty, TIOCSCTTY); dup2(pty, ...)",
                   "(the new terminal replaces each of fds 0-2 that was the caller's)",
                   "ioctl_tty(2)"});
    check_syscall(::ioctl(slave.get(), TIOCSCTTY, 0), "ioctl(TIOCSCTTY)");
    for (int fd = 0; fd <= 2; ++fd)
        if (config.terminal[fd])
            check_syscall(::dup2(slave.get(), fd), fmt::format("dup2(pty, {})", fd));
    if (config.dev_console) bind_dev_console(slave);
}

Relay::Relay(fd::Fd master, const Config& config)
    : master_(std::move(master)),
      out_(config.terminal[1] || !config.terminal[2] ? STDOUT_FILENO : STDERR_FILENO),
      stdin_open_(config.terminal[0]) {
    // Non-blocking: drain() reads until nothing is left, never longer.
    ::fcntl(master_.get(), F_SETFL, ::fcntl(master_.get(), F_GETFL) | O_NONBLOCK);
    if (stdin_open_ && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
        termios raw = saved_;
        // cfmakeraw(3): keys go to the container as typed; its own line
        // discipline echoes them, and turns ^C into its SIGINT.
        ::cfmakeraw(&raw);
        raw_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    resize();
}

Relay::~Relay() {
    if (raw_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

nfds_t Relay::poll_fds(pollfd* fds) const {
    nfds_t n = 0;
    if (master_open_) fds[n++] = {master_.get(), POLLIN, 0};
    if (stdin_open_) fds[n++] = {STDIN_FILENO, POLLIN, 0};
    return n;
}

bool Relay::copy(int from, int to) {
    char buffer[4096];
    ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;  // EOF, or EIO: the container closed its terminal
    say::write_best_effort(to, {buffer, static_cast<size_t>(n)}, -1);
    return true;
}

void Relay::on_ready(const pollfd* fds) {
    const pollfd* p = fds;
    if (master_open_) {
        if (p->revents & (POLLIN | POLLHUP | POLLERR)) master_open_ = copy(master_.get(), out_);
        ++p;
    }
    if (stdin_open_ && (p->revents & (POLLIN | POLLHUP | POLLERR)))
        stdin_open_ = copy(STDIN_FILENO, master_.get());
}

void Relay::resize() {
    winsize size{};
    int from = stdin_open_ ? STDIN_FILENO : out_;
    if (::ioctl(from, TIOCGWINSZ, &size) == 0) ::ioctl(master_.get(), TIOCSWINSZ, &size);
}

void Relay::drain() {
    while (master_open_) {
        char buffer[4096];
        ssize_t n = ::read(master_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        say::write_best_effort(out_, {buffer, static_cast<size_t>(n)}, -1);
    }
}

}  // namespace console
