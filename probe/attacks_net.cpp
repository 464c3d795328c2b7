// attacks_net.cpp: attacks on what the host's network namespace holds, which
// the container shares until 06-net gives it a network stack of its own:
// services bound to the host's loopback, abstract unix sockets (they live
// in the network namespace, not in the filesystem: unix(7)), and the
// host's interfaces.
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "probe.hpp"

namespace probe {
namespace {

// Connects `fd` (within 2 s), then reads what the server says first (the
// test's servers speak first). On failure *failed names the step and its
// errno: "connect=ECONNREFUSED", "read=EAGAIN".
std::string read_from(int fd, const sockaddr* address, socklen_t length, std::string* failed) {
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, address, length) != 0) {
        *failed = "connect=" + errno_name(errno);
        close(fd);
        return "";
    }
    char buffer[128] = {};
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    *failed = n < 0 ? "read=" + errno_name(errno) : "read=EOF";
    close(fd);
    std::string text(buffer, n > 0 ? static_cast<size_t>(n) : 0);
    return text.substr(0, text.find('\n'));
}

}  // namespace

// Reads what the service on 127.0.0.1:PORT says. Its 127.0.0.1 is the
// host's as long as the container shares the host's network namespace.
int loopback(const Args& args) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::atoi(arg(args, 0).c_str())));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return report("loopback", false, "socket=" + errno_name(errno));
    std::string failed;
    std::string said =
        read_from(fd, reinterpret_cast<sockaddr*>(&address), sizeof address, &failed);
    if (said.empty()) return report("loopback", false, failed);
    return report("loopback", true, "read=" + said);
}

// Reads what the abstract unix socket NAME says (the name starts with a
// NUL byte, and is looked up in the caller's network namespace).
int abstract_socket(const Args& args) {
    std::string name = arg(args, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (name.size() + 1 > sizeof address.sun_path) return usage();
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return report("abstract", false, "socket=" + errno_name(errno));
    std::string failed;
    std::string said = read_from(fd, reinterpret_cast<sockaddr*>(&address), length, &failed);
    if (said.empty()) return report("abstract", false, failed);
    return report("abstract", true, "read=" + said);
}

// Looks for the interface NAME, as `ip link` would; says how many it sees.
int see_link(const Args& args) {
    std::string name = arg(args, 0);
    struct if_nameindex* links = if_nameindex();
    if (links == nullptr) return report("see-link", false, "if_nameindex=" + errno_name(errno));
    int count = 0;
    bool seen = false;
    for (struct if_nameindex* link = links; link->if_index != 0; ++link, ++count)
        seen = seen || name == link->if_name;
    if_freenameindex(links);
    return report("see-link", seen, "links=" + std::to_string(count));
}

}  // namespace probe
