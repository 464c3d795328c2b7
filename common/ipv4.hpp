// ipv4.hpp: IPv4 addresses and subnets, as values (chapter 06).
//
// Pure helpers, no system call: parsing "10.99.0.0/24" and "10.99.0.7",
// the gateway and host range of a subnet, formatting for messages, for
// --explain and for the netlink requests (which take network byte order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipv4 {

// One IPv4 address, in host byte order (10.99.0.1 is 0x0a630001).
struct Address {
    uint32_t value = 0;
    bool operator==(const Address&) const = default;
    std::string str() const;  // "10.99.0.1"
    uint32_t network_order() const;
};

// A subnet: its network address and prefix length, "10.99.0.0/24".
struct Subnet {
    Address network;
    int prefix = 24;

    bool operator==(const Subnet&) const = default;
    std::string str() const;  // "10.99.0.0/24"
    uint32_t mask() const;
    bool contains(Address a) const;
    bool overlaps(const Subnet& other) const;
    Address gateway() const { return {network.value + 1}; }  // the bridge's address: .1
    Address broadcast() const { return {network.value | ~mask()}; }
    // The addresses a container may get: after the gateway, before the broadcast.
    Address first_host() const { return {network.value + 2}; }
    Address last_host() const { return {broadcast().value - 1}; }
    uint32_t host_count() const { return last_host().value - first_host().value + 1; }
};

// The smallest subnet that has a gateway and one container: /30. Longer
// prefixes (/31, /32) leave no address to give.
inline constexpr int kLongestPrefix = 30;

// "10.99.0.7" -> the address; nullopt for anything else (no leading zeros,
// no shorthand such as "10.99.7", which inet_aton(3) would accept).
std::optional<Address> parse_address(std::string_view text);

// "10.99.0.0/24" -> the subnet, or the reason it is not one ("a /33 does
// not exist", "host bits set: did you mean 10.99.0.0/24?").
struct ParsedSubnet {
    std::optional<Subnet> subnet;
    std::string problem;
};
ParsedSubnet parse_subnet(std::string_view text);

}  // namespace ipv4
