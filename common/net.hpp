// net.hpp: chapter 06, a network of the container's own.
//
// A network namespace (network_namespaces(7), Linux 2.6.29) holds a whole
// network stack: interfaces, addresses, routes, the port table, netfilter
// rules, /proc/sys/net, and the abstract unix sockets. A new one has only a
// loopback interface, and that one down. So the container, cloned with
// CLONE_NEWNET, reaches nothing at all: not the host's 127.0.0.1, not its
// abstract sockets, not the world.
//
// To connect it the way Docker and Podman do (--net bridge, the default):
//
//   host side (the runtime)                 container side (its child)
//   bridge unshared0, 10.99.0.1/24 ---+     lo up
//     veth<PID> ===== a veth pair ====|==== eth0 10.99.0.N/24, up
//   NAT: masquerade out, DNAT in      |     default route via 10.99.0.1
//
// A veth pair is a virtual cable: what goes in one end comes out of the
// other (veth(4)). The runtime creates it with ONE netlink request whose
// peer is born inside the child's namespace (no move afterwards: moving a
// device costs the kernel an RCU grace period). The bridge is a virtual
// switch joining the host ends; it carries the gateway address. Addresses
// come from leases (lease.hpp); NAT and published ports from nat.hpp.
//
// --net none gives the container only its loopback, up. It is the default of
// a rootless run (chapter 07): a user who is not root cannot make a bridge.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "ipv4.hpp"
#include "lease.hpp"
#include "mnt.hpp"
#include "options.hpp"

namespace host {
class Ledger;
}
namespace spec {
struct Spec;
}

namespace net {

enum class Mode { bridge, none };

// The bridge every container plugs into, and the name of its end inside.
inline constexpr std::string_view kBridge = "unshared0";
inline constexpr std::string_view kInside = "eth0";

// The default subnet, 10.99.0.0/24: clear of Docker's 172.17.0.0/16 and
// Podman's 10.88.0.0/16, so the chapters run beside them, and of the
// 192.168.0.0/16 that most home routers hand out.
ipv4::Subnet default_subnet();

enum class Protocol { tcp, udp };
std::string_view name_of(Protocol p);

// -p HOSTPORT:PORT[/tcp|/udp]: a port of the host forwarded to the container's.
struct Publish {
    uint16_t host_port;
    uint16_t port;
    Protocol protocol = Protocol::tcp;
    bool operator==(const Publish&) const = default;
    std::string str() const;  // "8080:80/tcp"
};

// "8080:80", "53:53/udp" -> the Publish; throws error::UsageError naming the problem.
Publish parse_publish(std::string_view text);

// spec.net: what the command line asked for.
struct Settings {
    Mode mode = Mode::bridge;        // run by a user who is not root: none, said once
    bool mode_given = false;         // --net was on the command line
    bool rootless_fallback = false;  // none because not root: prepare() says so
    ipv4::Subnet subnet = default_subnet();
    std::optional<ipv4::Address> ip;  // --ip
    std::vector<Publish> publish;     // -p, in order
};

// The option group: --net, --subnet, --ip, -p/--publish. It also registers
// the undo of every host resource this chapter makes (host::register_kind).
extern const cli::Group options;

// What the runtime prepared for one container's network.
struct Plan {
    Mode mode = Mode::none;
    ipv4::Subnet subnet;
    ipv4::Address address;            // eth0's, in bridge mode
    std::filesystem::path state;      // /run/unshared/net
    fd::Fd state_dir;                 // the same, opened
    lease::Claim lease;               // the address, held; holds /etc/hosts and resolv.conf
    std::vector<lease::Claim> ports;  // the published ports, held

    // `base` plus the bind mounts of the container's /etc/hosts and
    // /etc/resolv.conf (bridge mode), over the rootfs's own if it has them.
    mnt::Table mounts(const mnt::Table& base) const;
};

// The host side, before the child is cloned. In bridge mode: the bridge
// (shared), NAT and forwarding (shared, nat.hpp), the address lease, and the
// container's /etc/hosts and /etc/resolv.conf in the lease's directory.
// Each resource is journalled in `host` before it is made. A rootless run
// that fell back to --net none says so here, in one line on stderr.
Plan prepare(host::Ledger& host, const spec::Spec& spec);

// RTM_NEWLINK kind=bridge, idempotent: the bridge and its gateway address,
// made if missing, shared by every container (Ledger::record_shared).
void ensure_bridge(host::Ledger& host, const ipv4::Subnet& subnet);

// While the child waits: its veth pair, in one request, the host end on the
// bridge and up, the other end already inside the child's network namespace
// as eth0. Nothing in --net none. Nothing to undo: when the namespace goes,
// the kernel removes both ends.
void connect(const Plan& plan, pid_t child);

// In the child, in its new network namespace: lo up, and in bridge mode
// eth0's address, eth0 up, the default route via the gateway.
void configure_inside(const Plan& plan);

// The name of the host end of a container's veth pair: "veth<PID>".
std::string host_end(pid_t child);

}  // namespace net
