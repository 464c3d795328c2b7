#include "net.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <new>
#include <sstream>

#include "error.hpp"
#include "explain.hpp"
#include "host.hpp"
#include "inroot.hpp"
#include "nat.hpp"
#include "netlink.hpp"
#include "say.hpp"
#include "spec.hpp"

namespace net {

using error::check_syscall;
using error::UsageError;
namespace fs = std::filesystem;

ipv4::Subnet default_subnet() {
    return {{0x0a630000}, 24};  // 10.99.0.0/24
}

std::string_view name_of(Protocol p) {
    return p == Protocol::tcp ? "tcp" : "udp";
}

std::string Publish::str() const {
    return fmt::format("{}:{}/{}", host_port, port, name_of(protocol));
}

// --- the command line ----------------------------------------------------------

namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0 ||
        value > 65535)
        return std::nullopt;
    return static_cast<uint16_t>(value);
}

}  // namespace

Publish parse_publish(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return UsageError(
            fmt::format("-p {}: {} (expected HOSTPORT:PORT[/tcp|/udp], "
                        "such as 8080:80)",
                        text, why));
    };
    Publish p{0, 0};
    std::string_view ports = text;
    if (size_t slash = text.find('/'); slash != std::string_view::npos) {
        std::string_view protocol = text.substr(slash + 1);
        if (protocol != "tcp" && protocol != "udp")
            throw bad(fmt::format("unknown protocol \"{}\"", protocol));
        p.protocol = protocol == "tcp" ? Protocol::tcp : Protocol::udp;
        ports = text.substr(0, slash);
    }
    size_t colon = ports.find(':');
    if (colon == std::string_view::npos)
        throw bad("one port only: give the host's port and the container's");
    std::optional<uint16_t> host_port = parse_port(ports.substr(0, colon));
    std::optional<uint16_t> port = parse_port(ports.substr(colon + 1));
    if (!host_port) throw bad("the host port is not a number from 1 to 65535");
    if (!port) throw bad("the container port is not a number from 1 to 65535");
    p.host_port = *host_port;
    p.port = *port;
    return p;
}

namespace {

void add_options(CLI::App& app, spec::Spec& spec) {
    // Registered here, before anything runs: a replay of a dead run's
    // journal (at the start, or --cleanup) must know how to undo each kind.
    nat::register_undos();
    lease::register_undo();
    host::register_kind("bridge", [](std::string_view name) {
        netlink::Socket sock = netlink::Socket::route();
        netlink::delete_link(sock, name);
    });

    Settings& net = spec.net;
    app.add_option_function<std::string>(
           "--net",
           [&net](const std::string& mode) {
               if (mode != "bridge" && mode != "none")
                   throw UsageError(fmt::format(
                       "--net {}: expected bridge or none (there is no --net host: it would "
                       "share the host's network, the very thing this chapter takes away)",
                       mode));
               net.mode = mode == "bridge" ? Mode::bridge : Mode::none;
               net.mode_given = true;
           },
           "bridge (default): a veth pair to the bridge unshared0, an address of --subnet,\n"
           "NAT to the outside. none: only a loopback interface.")
        ->type_name("bridge|none");
    app.add_option_function<std::string>(
           "--subnet",
           [&net](const std::string& text) {
               ipv4::ParsedSubnet parsed = ipv4::parse_subnet(text);
               if (!parsed.subnet)
                   throw UsageError(fmt::format("--subnet {}: {}", text, parsed.problem));
               net.subnet = *parsed.subnet;
           },
           "The containers' subnet; its first address is the bridge's (the gateway).\n"
           "Default 10.99.0.0/24: clear of Docker's 172.17.0.0/16 and Podman's 10.88.0.0/16.")
        ->type_name("CIDR");
    app.add_option_function<std::string>(
           "--ip",
           [&net](const std::string& text) {
               std::optional<ipv4::Address> address = ipv4::parse_address(text);
               if (!address) throw UsageError(fmt::format("--ip {}: not an IPv4 address", text));
               net.ip = address;
           },
           "The container's address in the subnet (default: the lowest free one).")
        ->type_name("ADDR");
    app.add_option_function<std::vector<std::string>>(
           "-p,--publish",
           [&net](const std::vector<std::string>& texts) {
               for (const std::string& text : texts) net.publish.push_back(parse_publish(text));
           },
           "Forward the host's HOSTPORT to the container's PORT (DNAT), as docker run -p\n"
           "does. Repeatable.")
        ->type_name("HOSTPORT:PORT[/tcp|/udp]")
        ->allow_extra_args(false);
}

// /etc/hosts and /etc/resolv.conf, which bridge mode binds over the rootfs's:
// they must be plain files, or absent (then nothing is mounted).
void check_rootfs_files(const fs::path& rootfs) {
    fd::Fd root = inroot::open_directory(rootfs.string());
    for (std::string_view file : {"/etc/hosts", "/etc/resolv.conf"}) {
        if (!inroot::exists(root, file)) continue;
        if (std::string why = inroot::problem(root, file, inroot::Kind::regular_file); !why.empty())
            throw UsageError(fmt::format("--rootfs {}: {}", rootfs.string(), why));
    }
}

// Rootless (run by a user who is not root, chapter 07 on): the bridge, the
// veth pair's host end and the NAT rules all live in the host's network
// namespace, and only CAP_NET_ADMIN there (in the initial user namespace,
// user_namespaces(7)) may make them. The caller has none, so the default
// becomes --net none, said in one line; asking for the bridge is an error.
void rootless_network(Settings& net) {
    if (net.mode != Mode::bridge || ::geteuid() == 0) return;
    const char* asked = net.mode_given                      ? "--net bridge"
                        : !net.publish.empty()              ? "--publish"
                        : net.ip                            ? "--ip"
                        : !(net.subnet == default_subnet()) ? "--subnet"
                                                            : nullptr;
    if (asked != nullptr)
        throw UsageError(fmt::format(
            "{}: run by a user who is not root, the runtime cannot make a bridge, a veth pair "
            "or NAT rules on the host (they need CAP_NET_ADMIN in the host's network "
            "namespace): run it as root, or use --net none",
            asked));
    net.mode = Mode::none;
    net.rootless_fallback = true;  // said by prepare(), once every option is checked
}

void finish_options(spec::Spec& spec) {
    Settings& net = spec.net;
    rootless_network(net);
    if (net.mode == Mode::none) {
        if (!net.publish.empty() || net.ip || !(net.subnet == default_subnet()))
            throw UsageError(fmt::format(
                "{} needs --net bridge: with --net none the container has no network but its "
                "loopback",
                !net.publish.empty() ? "--publish"
                : net.ip             ? "--ip"
                                     : "--subnet"));
        return;
    }
    if (net.ip) {
        const ipv4::Subnet& s = net.subnet;
        std::string ip = net.ip->str();
        if (!s.contains(*net.ip))
            throw UsageError(fmt::format("--ip {}: outside --subnet {}", ip, s.str()));
        if (*net.ip == s.gateway())
            throw UsageError(
                fmt::format("--ip {}: that is the gateway, the bridge's own address", ip));
        if (*net.ip == s.network || *net.ip == s.broadcast())
            throw UsageError(fmt::format("--ip {}: the {} address of {} names no host", ip,
                                         *net.ip == s.network ? "network" : "broadcast", s.str()));
    }
    for (size_t i = 0; i < net.publish.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (net.publish[i].host_port == net.publish[j].host_port &&
                net.publish[i].protocol == net.publish[j].protocol)
                throw UsageError(fmt::format("-p {}: host port {}/{} is published twice",
                                             net.publish[i].str(), net.publish[i].host_port,
                                             name_of(net.publish[i].protocol)));
    check_rootfs_files(spec.rootfs);
}

}  // namespace

const cli::Group options{"net", add_options, finish_options};

// --- the host side ---------------------------------------------------------------

namespace {

// <state>/net, 0711: the leases, the port claims, forwarding's saved value
// (others may walk through to a lease's /etc/hosts: host::search_only_for_others).
void open_state(Plan& plan, const fs::path& state_dir) {
    plan.state = state_dir / "net";
    fd::Fd top{
        check_syscall(::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                      fmt::format("open(\"{}\")", state_dir.string()))};
    if (::mkdirat(top.get(), "net", 0700) == -1 && errno != EEXIST)
        throw error::syscall_error(errno, fmt::format("mkdir(\"{}\")", plan.state.string()));
    plan.state_dir = fd::Fd{
        check_syscall(::openat(top.get(), "net", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                      fmt::format("open(\"{}\")", plan.state.string()))};
    host::search_only_for_others(plan.state_dir, plan.state);
}

// A new bridge's subnet must not overlap an address the host already has:
// the host would route part of its own network into the bridge.
void check_overlap(const netlink::Socket& sock, const ipv4::Subnet& subnet) {
    for (const netlink::Address& a : netlink::addresses_of(sock, 0)) {
        ipv4::Subnet theirs{{a.address.value & ipv4::Subnet{{}, a.prefix}.mask()}, a.prefix};
        if (!theirs.overlaps(subnet)) continue;
        char name[IF_NAMESIZE] = "?";
        ::if_indextoname(static_cast<unsigned>(a.ifindex), name);
        throw UsageError(fmt::format("--subnet {}: overlaps {}/{} on {}: choose another subnet",
                                     subnet.str(), a.address.str(), a.prefix, name));
    }
}

bool has(const std::vector<netlink::Address>& addresses, const netlink::Address& wanted) {
    return std::any_of(addresses.begin(), addresses.end(), [&](const netlink::Address& a) {
        return a.address == wanted.address && a.prefix == wanted.prefix;
    });
}

// The first container makes the bridge; later ones find it (or race the
// first: EEXIST from either request means someone else was quicker).
void make_bridge(const netlink::Socket& sock, const ipv4::Subnet& subnet) {
    netlink::Link bridge = netlink::find_link(sock, kBridge);
    if (bridge && netlink::kind_of(bridge.get()) != "bridge")
        throw std::runtime_error(
            fmt::format("{} exists and is not a bridge (it is a \"{}\" link): "
                        "remove it, or stop what made it",
                        kBridge, netlink::kind_of(bridge.get())));
    if (bridge) {
        explain::note(fmt::format("{} is there already: another container made it", kBridge));
        return;
    }
    check_overlap(sock, subnet);
    try {
        netlink::add_bridge(sock, kBridge);
    } catch (const std::system_error& e) {
        if (e.code().value() != EEXIST) throw;
    }
}

void write_file(const fd::Fd& dir, const fs::path& dir_path, const char* name,
                const std::string& text) {
    fs::path path = dir_path / name;
    explain::step({fmt::format("write(\"{}\")", path.string()),
                   fmt::format("printf ... > {}", path.string()), "open(2), write(2)"});
    fd::Fd file{check_syscall(
        ::openat(dir.get(), name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644),
        fmt::format("open(\"{}\")", path.string()))};
    for (std::string_view left = text; !left.empty();) {
        ssize_t n = ::write(file.get(), left.data(), left.size());
        if (n == -1 && errno == EINTR) continue;
        check_syscall(n, fmt::format("write(\"{}\")", path.string()));
        left.remove_prefix(static_cast<size_t>(n));
    }
}

// The host's resolv.conf minus its loopback nameservers (127.0.0.53 is the
// host's own stub resolver: inside the container, 127.0.0.53 is the
// container's loopback, where nothing answers). Docker does the same.
std::string resolv_conf() {
    std::ifstream host("/etc/resolv.conf");
    std::string text = "# /etc/resolv.conf of the host, without its loopback nameservers\n";
    int servers = 0;
    for (std::string line; std::getline(host, line);) {
        std::istringstream words(line);
        std::string key, value;
        words >> key >> value;
        if (key == "nameserver") {
            std::optional<ipv4::Address> a = ipv4::parse_address(value);
            bool loopback = value == "::1" || (a && (a->value >> 24) == 127);
            if (loopback) continue;
            ++servers;
        }
        if (key == "nameserver" || key == "search" || key == "domain" || key == "options")
            text += line + "\n";
    }
    if (servers == 0) text += "# (the host has no nameserver outside its loopback)\n";
    return text;
}

std::string hosts(ipv4::Address address, const std::string& hostname) {
    return fmt::format("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{}\t{}\n",
                       address.str(), hostname);
}

}  // namespace

void ensure_bridge(host::Ledger& host, const ipv4::Subnet& subnet) {
    host.record_shared("bridge", kBridge);
    netlink::Socket sock = netlink::Socket::route();
    make_bridge(sock, subnet);
    netlink::Address gateway{subnet.gateway(), subnet.prefix};
    std::vector<netlink::Address> addresses =
        netlink::addresses_of(sock, netlink::index_of(sock, kBridge));
    if (has(addresses, gateway)) return;
    if (!addresses.empty())
        throw UsageError(fmt::format(
            "--subnet {}: the bridge {} serves {}/{} (its running containers use that subnet): "
            "use --subnet {}/{}, or stop them first",
            subnet.str(), kBridge, addresses[0].address.str(), addresses[0].prefix,
            ipv4::Address{addresses[0].address.value & ipv4::Subnet{{}, addresses[0].prefix}.mask()}
                .str(),
            addresses[0].prefix));
    try {
        netlink::add_address(sock, kBridge, gateway);
    } catch (const std::system_error& e) {
        if (e.code().value() != EEXIST) throw;
    }
}

Plan prepare(host::Ledger& host, const spec::Spec& spec) {
    Plan plan;
    plan.mode = spec.net.mode;
    if (spec.net.rootless_fallback)
        say::line(
            fmt::format("{}: rootless: no bridge network without root, so --net none "
                        "(only a loopback)",
                        program_invocation_short_name));
    if (plan.mode == Mode::none) return plan;
    plan.subnet = spec.net.subnet;
    open_state(plan, spec.host.state_dir);
    ensure_bridge(host, plan.subnet);
    nat::ensure_masquerade(host, plan);
    lease::Pool leases{plan.state_dir, plan.state, "leases"};
    plan.lease = lease::take_address(host, leases, plan.subnet, spec.net.ip);
    plan.address = *ipv4::parse_address(plan.lease.name());
    write_file(plan.lease.dir(), plan.lease.path(), "hosts",
               hosts(plan.address, spec.uts.hostname));
    write_file(plan.lease.dir(), plan.lease.path(), "resolv.conf", resolv_conf());
    return plan;
}

mnt::Table Plan::mounts(const mnt::Table& base) const {
    mnt::Table table = base;
    if (mode != Mode::bridge) return table;
    for (const char* file : {"hosts", "resolv.conf"}) {
        table.push_back({fmt::format("/etc/{}", file), (lease.path() / file).string(), "", MS_BIND,
                         "", mnt::Target::in_rootfs_file, "06-net"});
    }
    return table;
}

std::string host_end(pid_t child) {
    return fmt::format("veth{}", child);  // at most 11 of IFNAMSIZ's 15 characters
}

void connect(const Plan& plan, pid_t child) {
    if (plan.mode != Mode::bridge) return;
    std::string host = host_end(child);
    std::string inside(kInside);
    explain::step(
        {fmt::format("RTM_NEWLINK kind=veth \"{}\" master {} IFF_UP, peer \"{}\" netns {}", host,
                     kBridge, inside, child),
         fmt::format("ip link add {} master {} up type veth peer name {} netns {}", host, kBridge,
                     inside, child),
         "veth(4), ip-link(8), rtnetlink(7)"});
    // EXERCISE 06-net: plug the container in: its veth pair, made in ONE netlink request.
    // QUESTION: why not create both ends here and move eth0 over afterwards (`ip link set
    //   eth0 netns PID`)? Compare the two in bench/net.
    // QUESTION: nothing undoes this pair: who removes it, and when?
    // YOUR CODE HERE; then check it, as root: exercises/check 06-net
    throw error::NotImplemented("plug the container in: its veth pair, made in ONE netlink request.");
    // END EXERCISE
}

void configure_inside(const Plan& plan) {
    // Made here, in the child: the socket talks to the container's namespace.
    netlink::Socket sock = netlink::Socket::route();
    netlink::set_up(sock, "lo");
    if (plan.mode != Mode::bridge) return;
    netlink::add_address(sock, kInside, {plan.address, plan.subnet.prefix});
    netlink::set_up(sock, kInside);
    // After eth0 is up: the route to the gateway goes through its subnet's
    // route, which exists only while the link is up (else ENETUNREACH).
    netlink::add_default_route(sock, plan.subnet.gateway());
}

}  // namespace net
