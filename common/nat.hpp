// nat.hpp: the way out and the way in (chapter 06): NAT with nftables.
//
// The containers' addresses (10.99.0.0/24) exist only between the bridge
// and its containers. For a container to reach further, the host forwards
// its packets (net.ipv4.ip_forward = 1) and rewrites their source to its
// own address on the way out: *masquerade*, source NAT. For a client to
// reach a server inside, the host rewrites the destination of packets sent
// to one of its own ports: *DNAT*, what `docker run -p 8080:80` sets up.
//
// The rules live in an nftables table of the project's own, `table ip
// unshared`, so they never mix with anyone else's rules and go in one
// `nft delete table ip unshared`. Masquerade is one rule; the published
// ports are elements of one map, (protocol, host port) -> (address, port),
// that a rule in prerouting (packets from other machines) and one in output
// (packets from the host itself) look the destination up in.
//
// The one shell-out of the toolkit: nft(8) is fed the rule text on stdin
// (`nft -f -`), the very text --explain prints. libnftables, nft's library,
// cannot be linked statically on Debian (it needs libmnl, which ships no
// .a), and hand-writing nftables' netlink messages would hide the rules a
// learner should read. It costs a process start (~10-20 ms here), so it is
// kept off the start of containers that publish nothing: the table is made
// once, by the first container, and is found by a netlink query after that.
//
// Shared and refcounted (host::Ledger::record_shared): the table, and the
// forwarding setting, whose previous value the last container puts back.
// Each published port is the container's own ("own port <path>").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ipv4.hpp"
#include "net.hpp"

namespace host {
class Ledger;
}

namespace nat {

inline constexpr std::string_view kTable = "unshared";  // table ip unshared

// The nft text that makes the table: masquerade for `subnet` leaving by any
// interface but `bridge`, and the (empty) map of published ports.
std::string table_rules(const ipv4::Subnet& subnet, std::string_view bridge);
// The nft text that adds one published port, and the one that deletes it.
std::string publish_rule(const net::Publish& p, ipv4::Address container);
std::string unpublish_rule(std::string_view protocol, uint16_t host_port);

// Runs `nft -f -` with `script` on stdin (the one shell-out, see above),
// printing the script with --explain. Throws with nft's own error line.
void run_nft(const std::string& script);

// The table and forwarding, shared: journalled, then made if missing.
void ensure_masquerade(host::Ledger& ledger, const net::Plan& plan);

// Claims each port in plan.state/ports (one a live container holds is a
// UsageError: exit 2) and adds its DNAT element; the claims go into
// plan.ports. Without -p: nothing, and no nft process.
void publish(host::Ledger& ledger, net::Plan& plan, const std::vector<net::Publish>& ports);

// Registers the undos of "nft-table", "sysctl" and "port" (host::register_kind).
void register_undos();

}  // namespace nat
