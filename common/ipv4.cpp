#include "ipv4.hpp"

#include <arpa/inet.h>

#include <fmt/core.h>

#include <charconv>

namespace ipv4 {

std::string Address::str() const {
    return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                       value & 0xff);
}

uint32_t Address::network_order() const {
    return htonl(value);
}

std::string Subnet::str() const {
    return fmt::format("{}/{}", network.str(), prefix);
}

uint32_t Subnet::mask() const {
    return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

bool Subnet::contains(Address a) const {
    return (a.value & mask()) == network.value;
}

bool Subnet::overlaps(const Subnet& other) const {
    uint32_t common = prefix < other.prefix ? mask() : other.mask();
    return (network.value & common) == (other.network.value & common);
}

namespace {

// A decimal number in [0, max] with no sign, no leading zero and no
// trailing garbage: the whole of `text`.
std::optional<uint32_t> parse_number(std::string_view text, uint32_t max) {
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text.front() == '0'))
        return std::nullopt;
    uint32_t n = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc{} || end != text.data() + text.size() || n > max) return std::nullopt;
    return n;
}

}  // namespace

std::optional<Address> parse_address(std::string_view text) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = text.find('.');
        if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
        std::optional<uint32_t> byte = parse_number(text.substr(0, dot), 255);
        if (!byte) return std::nullopt;
        value = value << 8 | *byte;
        text.remove_prefix(i < 3 ? dot + 1 : text.size());
    }
    return Address{value};
}

ParsedSubnet parse_subnet(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        return {std::nullopt, "expected ADDRESS/PREFIX, such as 10.99.0.0/24"};
    std::optional<Address> address = parse_address(text.substr(0, slash));
    if (!address) return {std::nullopt, "not an IPv4 address before the '/'"};
    std::optional<uint32_t> prefix = parse_number(text.substr(slash + 1), 99);
    if (!prefix) return {std::nullopt, "the prefix after the '/' is not a number"};
    if (*prefix > 32)
        return {std::nullopt, fmt::format("a /{} does not exist (IPv4 has 32 bits)", *prefix)};
    if (*prefix > kLongestPrefix)
        return {std::nullopt,
                fmt::format("a /{} leaves no address for a container (the longest usable "
                            "prefix is /{}: a gateway and one container)",
                            *prefix, kLongestPrefix)};
    if (*prefix < 8)
        return {std::nullopt, fmt::format("a /{} is larger than any network needs; use /8 to /{}",
                                          *prefix, kLongestPrefix)};
    Subnet subnet{*address, static_cast<int>(*prefix)};
    if ((address->value & subnet.mask()) != address->value) {
        Subnet meant{{address->value & subnet.mask()}, subnet.prefix};
        return {std::nullopt, fmt::format("host bits set: did you mean {}?", meant.str())};
    }
    return {subnet, ""};
}

}  // namespace ipv4
