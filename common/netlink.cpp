#include "netlink.hpp"

// glibc's headers first: they tell the kernel's (linux/in.h, pulled in by
// linux/netfilter.h) which definitions they already made.
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include "error.hpp"
#include "explain.hpp"

// libnl's helpers that turn names into addresses and protocol numbers
// (nl_addr_info, nl_str2ip_proto, nl_ip_proto2str) call glibc's NSS
// functions. In a static binary those need glibc's shared libraries at run
// time, and the linker says so, once per function. The runtime never calls
// those helpers: the link (common/CMakeLists.txt, -Wl,--wrap=...) points
// libnl at these stubs, which fail, so the warning and the dependency go.
extern "C" {
int __wrap_getaddrinfo(const char*, const char*, const addrinfo*, addrinfo**) {
    return EAI_SYSTEM;
}
protoent* __wrap_getprotobyname(const char*) {
    return nullptr;
}
protoent* __wrap_getprotobynumber(int) {
    return nullptr;
}
}

namespace netlink {
namespace {

// --- libnl objects, owned once -----------------------------------------------

template <typename T, void (*Free)(T*)>
struct Freer {
    void operator()(T* object) const { Free(object); }
};
using Addr = std::unique_ptr<nl_addr, Freer<nl_addr, nl_addr_put>>;
using RouteAddr = std::unique_ptr<rtnl_addr, Freer<rtnl_addr, rtnl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, Freer<rtnl_route, rtnl_route_put>>;
using Cache = std::unique_ptr<nl_cache, Freer<nl_cache, nl_cache_free>>;
using Message = std::unique_ptr<nl_msg, Freer<nl_msg, nlmsg_free>>;

// libnl's allocators return NULL only when memory runs out.
template <typename T>
T* allocated(T* object, const char* /* allocator, for the reader */) {
    if (object == nullptr) throw std::bad_alloc();
    return object;
}

// An nl_addr for an IPv4 address with a prefix length.
Addr ipv4_addr(ipv4::Address address, int prefix) {
    uint32_t raw = address.network_order();
    Addr addr{allocated(nl_addr_build(AF_INET, &raw, sizeof raw), "nl_addr_build")};
    nl_addr_set_prefixlen(addr.get(), prefix);
    return addr;
}

// --- errors --------------------------------------------------------------------

// The extended ACK (netlink(7), NETLINK_EXT_ACK): attributes after the
// error, of which NLMSGERR_ATTR_MSG is a sentence such as "Master is not a
// bridge". With NETLINK_CAP_ACK the kernel does not echo our request back,
// so the attributes start right after struct nlmsgerr.
std::string extended_ack(const nlmsgerr* e) {
    const auto* header =
        reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
    if (!(header->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
    size_t offset = NLMSG_HDRLEN + sizeof *e;
    if (!(header->nlmsg_flags & NLM_F_CAPPED)) offset += e->msg.nlmsg_len - NLMSG_HDRLEN;
    offset = NLMSG_ALIGN(offset);
    if (offset >= header->nlmsg_len) return "";
    auto* attrs = reinterpret_cast<nlattr*>(
        const_cast<char*>(reinterpret_cast<const char*>(header) + offset));
    int length = static_cast<int>(header->nlmsg_len - offset);
    nlattr* attr;
    int left;
    nla_for_each_attr(attr, attrs, length, left) {
        if (nla_type(attr) != NLMSGERR_ATTR_MSG) continue;
        const char* text = static_cast<const char*>(nla_data(attr));
        return std::string(text, strnlen(text, static_cast<size_t>(nla_len(attr))));
    }
    return "";
}

// libnl's callback for an NLMSG_ERROR answer: keep the kernel's errno (libnl
// maps several onto one code of its own) and its sentence.
int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
    auto* said = static_cast<Socket::KernelError*>(arg);
    said->err = -e->error;
    said->text = extended_ack(e);
    return NL_STOP;  // the call then returns -nl_syserr2nlerr(error)
}

// A request that failed with NLE_NODEV / ENODEV: "no such link".
bool no_such_link(int rc, const Socket& sock) {
    int err = sock.take_error().err;
    return rc == -NLE_NODEV || err == ENODEV;
}

}  // namespace

void FreeLink::operator()(rtnl_link* link) const {
    rtnl_link_put(link);
}

// --- the socket ------------------------------------------------------------------

Socket::Socket(int protocol) : sock_(nl_socket_alloc()), said_(std::make_unique<KernelError>()) {
    if (sock_ == nullptr) throw std::bad_alloc();
    // libnl opens it with SOCK_CLOEXEC: it never reaches the container's command.
    int rc = nl_connect(sock_, protocol);
    if (rc < 0) {
        nl_socket_free(sock_);
        throw error::syscall_error(errno_of(rc), protocol == NETLINK_ROUTE
                                                     ? "socket(AF_NETLINK, NETLINK_ROUTE)"
                                                     : "socket(AF_NETLINK, NETLINK_NETFILTER)");
    }
    nl_socket_modify_err_cb(sock_, NL_CB_CUSTOM, on_error, said_.get());
    // Ask for the kernel's sentence with each error, without our request
    // echoed back. Best effort: a kernel older than 4.12 gives errno only.
    int on = 1;
    (void)::setsockopt(nl_socket_get_fd(sock_), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    (void)::setsockopt(nl_socket_get_fd(sock_), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
}

Socket::Socket(Socket&& other) noexcept
    : sock_(std::exchange(other.sock_, nullptr)), said_(std::move(other.said_)) {}

Socket::~Socket() {
    if (sock_ != nullptr) nl_socket_free(sock_);
}

Socket Socket::route() {
    return Socket(NETLINK_ROUTE);
}

Socket Socket::netfilter() {
    return Socket(NETLINK_NETFILTER);
}

int errno_of(int nle) {
    // The inverse of libnl's nl_syserr2nlerr(), for the codes it returns.
    static constexpr std::pair<int, int> kErrnos[] = {
        {NLE_EXIST, EEXIST},
        {NLE_NOADDR, EADDRNOTAVAIL},
        {NLE_OBJ_NOTFOUND, ENOENT},
        {NLE_INTR, EINTR},
        {NLE_AGAIN, EAGAIN},
        {NLE_BAD_SOCK, EBADF},
        {NLE_NOACCESS, EACCES},
        {NLE_INVAL, EINVAL},
        {NLE_NOMEM, ENOMEM},
        {NLE_AF_NOSUPPORT, EAFNOSUPPORT},
        {NLE_PROTO_MISMATCH, EPROTONOSUPPORT},
        {NLE_OPNOTSUPP, EOPNOTSUPP},
        {NLE_PERM, EPERM},
        {NLE_BUSY, EBUSY},
        {NLE_RANGE, ERANGE},
        {NLE_NODEV, ENODEV},
        {NLE_MSGSIZE, EMSGSIZE},
    };
    for (auto [code, err] : kErrnos)
        if (code == -nle) return err;
    return EIO;
}

int check(int rc, const Socket& sock, const std::string& what) {
    Socket::KernelError said = sock.take_error();
    if (rc >= 0) return rc;
    int err = said.err != 0 ? said.err : errno_of(rc);
    if (said.text.empty()) throw error::syscall_error(err, what);
    throw error::syscall_error(err, fmt::format("{} (the kernel says: {})", what, said.text));
}

// --- links -----------------------------------------------------------------------

Link find_link(const Socket& sock, std::string_view name) {
    rtnl_link* found = nullptr;
    std::string n(name);
    int rc = rtnl_link_get_kernel(sock.get(), 0, n.c_str(), &found);
    if (rc < 0 && no_such_link(rc, sock)) return nullptr;
    check(rc, sock, fmt::format("RTM_GETLINK \"{}\"", name));
    return Link{found};
}

int index_of(const Socket& sock, std::string_view name) {
    Link link = find_link(sock, name);
    if (!link)
        throw error::syscall_error(ENODEV, fmt::format("RTM_GETLINK \"{}\": no such link", name));
    return rtnl_link_get_ifindex(link.get());
}

std::string kind_of(rtnl_link* link) {
    const char* type = rtnl_link_get_type(link);
    return type == nullptr ? "" : type;
}

void add_bridge(const Socket& sock, std::string_view name) {
    std::string n(name);
    explain::step({fmt::format("RTM_NEWLINK kind=bridge \"{}\" IFF_UP", name),
                   fmt::format("ip link add {} up type bridge", n), "ip-link(8), rtnetlink(7)"});
    Link bridge{allocated(rtnl_link_bridge_alloc(), "rtnl_link_bridge_alloc")};
    rtnl_link_set_name(bridge.get(), n.c_str());
    rtnl_link_set_flags(bridge.get(), IFF_UP);
    check(rtnl_link_add(sock.get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL), sock,
          fmt::format("RTM_NEWLINK bridge \"{}\"", name));
}

void set_up(const Socket& sock, std::string_view name) {
    explain::step({fmt::format("RTM_NEWLINK \"{}\" IFF_UP", name),
                   fmt::format("ip link set {} up", name), "ip-link(8), rtnetlink(7)"});
    Link link = find_link(sock, name);
    if (!link)
        throw error::syscall_error(ENODEV, fmt::format("ip link set {} up: no such link", name));
    Link change{allocated(rtnl_link_alloc(), "rtnl_link_alloc")};
    rtnl_link_set_flags(change.get(), IFF_UP);
    check(rtnl_link_change(sock.get(), link.get(), change.get(), 0), sock,
          fmt::format("RTM_NEWLINK \"{}\" IFF_UP", name));
}

bool delete_link(const Socket& sock, std::string_view name) {
    explain::step({fmt::format("RTM_DELLINK \"{}\"", name), fmt::format("ip link del {}", name),
                   "ip-link(8), rtnetlink(7)"});
    std::string n(name);
    Link link{allocated(rtnl_link_alloc(), "rtnl_link_alloc")};
    rtnl_link_set_name(link.get(), n.c_str());
    int rc = rtnl_link_delete(sock.get(), link.get());
    if (rc < 0 && no_such_link(rc, sock)) return false;
    check(rc, sock, fmt::format("RTM_DELLINK \"{}\"", name));
    return true;
}

// --- addresses and routes ----------------------------------------------------------

void add_address(const Socket& sock, std::string_view dev, const Address& address) {
    std::string cidr = fmt::format("{}/{}", address.address.str(), address.prefix);
    explain::step({fmt::format("RTM_NEWADDR {} \"{}\"", cidr, dev),
                   fmt::format("ip addr add {} dev {}", cidr, dev), "ip-address(8), rtnetlink(7)"});
    RouteAddr addr{allocated(rtnl_addr_alloc(), "rtnl_addr_alloc")};
    rtnl_addr_set_ifindex(addr.get(), index_of(sock, dev));
    Addr local = ipv4_addr(address.address, address.prefix);
    check(rtnl_addr_set_local(addr.get(), local.get()), sock, "rtnl_addr_set_local");
    check(rtnl_addr_add(sock.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL), sock,
          fmt::format("RTM_NEWADDR {} \"{}\"", cidr, dev));
}

std::vector<Address> addresses_of(const Socket& sock, int ifindex) {
    nl_cache* raw = nullptr;
    check(rtnl_addr_alloc_cache(sock.get(), &raw), sock, "RTM_GETADDR (dump)");
    Cache cache{raw};
    std::vector<Address> found;
    for (nl_object* o = nl_cache_get_first(raw); o != nullptr; o = nl_cache_get_next(o)) {
        auto* addr = reinterpret_cast<rtnl_addr*>(o);
        nl_addr* local = rtnl_addr_get_local(addr);
        int on = rtnl_addr_get_ifindex(addr);
        if ((ifindex != 0 && on != ifindex) || rtnl_addr_get_family(addr) != AF_INET ||
            local == nullptr || nl_addr_get_len(local) != 4)
            continue;
        uint32_t raw_address;
        std::memcpy(&raw_address, nl_addr_get_binary_addr(local), 4);
        found.push_back({{ntohl(raw_address)}, rtnl_addr_get_prefixlen(addr), on});
    }
    return found;
}

void add_default_route(const Socket& sock, ipv4::Address gateway) {
    explain::step({fmt::format("RTM_NEWROUTE 0.0.0.0/0 via {}", gateway.str()),
                   fmt::format("ip route add default via {}", gateway.str()),
                   "ip-route(8), rtnetlink(7)"});
    Route route{allocated(rtnl_route_alloc(), "rtnl_route_alloc")};
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);  // what `ip route add` says
    Addr any = ipv4_addr({0}, 0);
    check(rtnl_route_set_dst(route.get(), any.get()), sock, "rtnl_route_set_dst");
    rtnl_nexthop* hop = allocated(rtnl_route_nh_alloc(), "rtnl_route_nh_alloc");
    Addr via = ipv4_addr(gateway, 32);
    rtnl_route_nh_set_gateway(hop, via.get());
    rtnl_route_add_nexthop(route.get(), hop);  // the route owns it from here
    check(rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL), sock,
          fmt::format("RTM_NEWROUTE default via {}", gateway.str()));
}

// --- nftables ------------------------------------------------------------------------

bool nft_table_exists(std::string_view name) {
    // nfnetlink: a message type is (subsystem << 8) | command, and every
    // message starts with a struct nfgenmsg naming the family (NFPROTO_IPV4
    // for an `ip` table). The kernel answers NFT_MSG_NEWTABLE, or ENOENT.
    Socket sock = Socket::netfilter();
    Message msg{allocated(nlmsg_alloc_simple((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
                                             NLM_F_REQUEST | NLM_F_ACK),
                          "nlmsg_alloc_simple")};
    nfgenmsg header{};
    header.nfgen_family = NFPROTO_IPV4;
    header.version = NFNETLINK_V0;
    std::string n(name);
    if (nlmsg_append(msg.get(), &header, sizeof header, NLMSG_ALIGNTO) < 0 ||
        nla_put_string(msg.get(), NFTA_TABLE_NAME, n.c_str()) < 0)
        throw std::bad_alloc();
    std::string what = fmt::format("NFT_MSG_GETTABLE ip {}", name);
    check(nl_send_auto(sock.get(), msg.get()), sock, what);
    int rc = nl_wait_for_ack(sock.get());
    int err = rc < 0 ? sock.take_error().err : 0;
    if (rc < 0 && (err == ENOENT || rc == -NLE_OBJ_NOTFOUND)) return false;
    if (rc < 0) throw error::syscall_error(err != 0 ? err : errno_of(rc), what);
    return true;
}

}  // namespace netlink
