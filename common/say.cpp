#include "say.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>

#include <fmt/core.h>

#include <cerrno>

namespace say {
namespace {

// How long a message may wait for a slow reader before it is dropped.
constexpr int kWaitMs = 200;

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t utf8_length(std::string_view s) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = byte(0);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || n > s.size()) return 0;
    for (size_t i = 1; i < n; ++i)
        if ((byte(i) & 0xc0) != 0x80) return 0;
    return n;
}

// Whether the runtime has been told to stop: SIGINT, SIGTERM, SIGHUP or
// SIGQUIT pending (process::start_runtime blocks them until the container
// runs, and the runtime serves them at its next wait). Its messages then
// wait for no slow reader: a long --explain into a full pipe would hold the
// stop up by 200 ms a line (chapter 10 says some sixty before its clone).
bool stop_pending() {
    sigset_t pending;
    if (::sigpending(&pending) != 0) return false;
    for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
        if (::sigismember(&pending, signo) == 1) return true;
    return false;
}

}  // namespace

std::string one_line(std::string_view text) {
    std::string out;
    while (!text.empty()) {
        unsigned char c = static_cast<unsigned char>(text[0]);
        size_t n = utf8_length(text);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (n == 0 || c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
            n = 1;
        } else {
            out.append(text.substr(0, n));
        }
        text.remove_prefix(n == 0 ? 1 : n);
    }
    return out;
}

void write_best_effort(int fd, std::string_view bytes, int timeout_ms) {
    while (!bytes.empty()) {
        pollfd p{fd, POLLOUT, 0};
        int ready = ::poll(&p, 1, timeout_ms);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL))) return;
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

void line(std::string_view text) {
    write_best_effort(STDERR_FILENO, one_line(text) + "\n", stop_pending() ? 0 : kWaitMs);
}

void error(std::string_view program, std::string_view text) {
    line(fmt::format("{}: {}", program, text));
}

}  // namespace say
