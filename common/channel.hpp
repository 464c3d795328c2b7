// channel.hpp: the runtime and its container's first process talk here.
//
// One socketpair(2) of SOCK_SEQPACKET: each send(2) is one message, kept
// whole and in order, and either side sees EOF when the other is gone. The
// messages of a container's start:
//
//   runtime -> child   go              "set yourself up and run the command"
//   child -> runtime   console + fd    the master of the container's terminal
//   child -> runtime   ready           set-up done, about to execve(2)
//   child -> runtime   failed + text   a step failed: the message names it
//   (EOF)                              the command runs: execve(2) closed the
//                                      child's end, which is close-on-exec
//
// File descriptors travel as SCM_RIGHTS ancillary data (unix(7)).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fd.hpp"

namespace channel {

enum class Kind : char { go = 'g', ready = 'r', failed = 'f', console = 'c' };

struct Message {
    Kind kind;
    std::string text;  // the error, for `failed`
    fd::Fd fd;         // the file descriptor, for `console`
};

class End {
  public:
    End() = default;
    explicit End(fd::Fd socket) : socket_(std::move(socket)) {}

    // Sends one message; `fd` >= 0 is passed along (the receiver gets its own copy).
    // False if the other side is gone (EPIPE), so a caller may carry on.
    bool send(Kind kind, std::string_view text = {}, int fd = -1) const;

    // The next message, or nullopt at EOF (the other side closed its end).
    std::optional<Message> receive() const;

    int get() const { return socket_.get(); }
    void close() { socket_.reset(); }
    bool open() const { return socket_.valid(); }

  private:
    fd::Fd socket_;
};

// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): the runtime's end first.
std::pair<End, End> make_pair();

}  // namespace channel
