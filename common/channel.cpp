#include "channel.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"

namespace channel {

std::pair<End, End> make_pair() {
    int ends[2];
    error::check_syscall(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends),
                         "socketpair(AF_UNIX, SOCK_SEQPACKET)");
    return {End{fd::Fd{ends[0]}}, End{fd::Fd{ends[1]}}};
}

bool End::send(Kind kind, std::string_view text, int fd) const {
    std::string body(1, static_cast<char>(kind));
    body += text;
    iovec iov{body.data(), body.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    // MSG_NOSIGNAL: a closed peer is EPIPE, not a SIGPIPE that kills us.
    do n = ::sendmsg(socket_.get(), &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return false;
    error::check_syscall(n, "sendmsg(sync channel)");
    return true;
}

std::optional<Message> End::receive() const {
    char body[4096];
    iovec iov{body, sizeof body};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    // MSG_CMSG_CLOEXEC: a received fd must not leak into a later execve(2).
    do n = ::recvmsg(socket_.get(), &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == ECONNRESET) return std::nullopt;
    error::check_syscall(n, "recvmsg(sync channel)");
    if (n == 0) return std::nullopt;
    Message message{static_cast<Kind>(body[0]), std::string(body + 1, static_cast<size_t>(n) - 1),
                    fd::Fd{}};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int received;
            std::memcpy(&received, CMSG_DATA(c), sizeof received);
            message.fd = fd::Fd{received};
        }
    }
    return message;
}

}  // namespace channel
