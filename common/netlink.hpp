// netlink.hpp: talking to the kernel's network stack (chapter 06).
//
// `ip link`, `ip addr` and `ip route` are thin clients of rtnetlink(7): they
// send the kernel a message on an AF_NETLINK socket (RTM_NEWLINK, RTM_NEWADDR,
// RTM_NEWROUTE, ...) and read its answer. The runtime sends the same messages
// itself, built by libnl-route-3 (the library nsjail uses; Debian ships a
// static one), so there is no `ip` process to start and every failure comes
// back as an errno, with the kernel's own sentence when it gives one
// (extended ACK, Linux 4.12).
//
// A netlink socket talks to the network namespace its creator was in when
// it made the socket: the runtime's socket reaches the host side, a socket
// the container's child makes after clone(CLONE_NEWNET) reaches the inside.
//
// Each request below prints itself with --explain: the message it sends,
// and the `ip` command that sends the same one. `NLCB=debug` in the
// runtime's environment makes libnl dump every message, byte by byte.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ipv4.hpp"

struct nl_sock;
struct rtnl_link;

namespace netlink {

// libnl frees its objects with a function per type.
struct FreeLink {
    void operator()(rtnl_link* link) const;
};
using Link = std::unique_ptr<rtnl_link, FreeLink>;

class Socket {
  public:
    // socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), in the caller's network namespace.
    static Socket route();
    // The same for NETLINK_NETFILTER: the family nftables speaks.
    static Socket netfilter();

    Socket(Socket&&) noexcept;
    Socket& operator=(Socket&&) = delete;
    ~Socket();
    nl_sock* get() const { return sock_; }

    // What the kernel answered to the last request that failed: its errno
    // and its sentence (extended ACK), if any. Reading it clears it.
    struct KernelError {
        int err = 0;
        std::string text;
    };
    KernelError take_error() const { return std::exchange(*said_, KernelError{}); }

  private:
    explicit Socket(int protocol);
    nl_sock* sock_;
    std::unique_ptr<KernelError> said_;  // at a stable address: libnl's error callback fills it
};

// libnl returns -NLE_* codes: the errno they stand for (NLE_EXIST -> EEXIST).
int errno_of(int nle);

// Throws std::system_error naming `what`, with the errno of a negative libnl
// code and the kernel's sentence if it gave one. Returns rc otherwise.
int check(int rc, const Socket& sock, const std::string& what);

// --- the requests the chapter makes ------------------------------------------

// RTM_GETLINK by name; nullptr if there is no such link (ENODEV).
Link find_link(const Socket& sock, std::string_view name);
// Its index, or throws naming the link.
int index_of(const Socket& sock, std::string_view name);
// Its kind ("bridge", "veth"), "" for a plain device.
std::string kind_of(rtnl_link* link);

// RTM_NEWLINK kind=bridge, up:          ip link add NAME up type bridge
void add_bridge(const Socket& sock, std::string_view name);
// RTM_NEWLINK with IFF_UP set:          ip link set NAME up
void set_up(const Socket& sock, std::string_view name);
// RTM_DELLINK by name:                  ip link del NAME
// False if there was no such link.
bool delete_link(const Socket& sock, std::string_view name);

// An address on a link: 10.99.0.1/24.
struct Address {
    ipv4::Address address;
    int prefix;
    int ifindex = 0;  // the link it is on, in answers
};
// RTM_NEWADDR:                          ip addr add ADDRESS/PREFIX dev NAME
void add_address(const Socket& sock, std::string_view dev, const Address& address);
// RTM_GETADDR (a dump): the IPv4 addresses of one link (`ifindex`), or of
// every link (0).                        ip -4 addr show [dev NAME]
std::vector<Address> addresses_of(const Socket& sock, int ifindex);
// RTM_NEWROUTE 0.0.0.0/0 via GATEWAY:    ip route add default via GATEWAY
void add_default_route(const Socket& sock, ipv4::Address gateway);

// NFT_MSG_GETTABLE: does nftables table `family name` exist ("ip", "unshared")?
// A few microseconds, where `nft list table` would start a process.
bool nft_table_exists(std::string_view name);

}  // namespace netlink
