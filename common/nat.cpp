#include "nat.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <stdexcept>

#include "error.hpp"
#include "explain.hpp"
#include "host.hpp"
#include "lease.hpp"
#include "netlink.hpp"

namespace nat {

using error::check_syscall;
namespace fs = std::filesystem;

namespace {

// Forwarding, one knob for the whole network namespace (proc(5),
// /proc/sys/net; the kernel's Documentation/networking/ip-sysctl.rst).
constexpr const char* kForwarding = "/proc/sys/net/ipv4/ip_forward";
// Its value before the first container changed it, in <state>/net.
constexpr const char* kSaved = "sysctl-net.ipv4.ip_forward";

// nft, looked up in the system's directories only: the runtime runs as
// root, and a PATH the caller chose could name any program.
std::string find_nft() {
    for (const char* candidate : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"})
        if (::access(candidate, X_OK) == 0) return candidate;
    throw std::runtime_error(
        "nft(8) is not installed, and the bridge's NAT needs it (apt-get install nftables), "
        "or use --net none");
}

[[noreturn]] void exec_nft(const std::string& nft, int in, int out) {
    // Dies with the runtime (a SIGKILLed runtime must not leave an nft
    // behind that changes the rules after the next run replayed its journal).
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the runtime blocks its stop signals
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(in, 0) == -1 || ::dup2(out, 1) == -1 || ::dup2(out, 2) == -1) ::_exit(126);
    const char* argv[] = {"nft", "-f", "-", nullptr};
    const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", nullptr};
    ::execve(nft.c_str(), const_cast<char**>(argv), const_cast<char**>(envp));
    ::_exit(127);
}

std::string read_all(int fd) {
    std::string text;
    char buffer[1024];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n == -1 && errno == EINTR) continue;
        if (n <= 0) return text;
        text.append(buffer, static_cast<size_t>(n));
    }
}

// nft reports a missing table, map or element with the kernel's ENOENT.
bool says_missing(const std::exception& e) {
    return std::string_view(e.what()).find("No such file or directory") != std::string_view::npos;
}

std::string read_value(const char* path) {
    fd::Fd file{
        check_syscall(::open(path, O_RDONLY | O_CLOEXEC), fmt::format("open(\"{}\")", path))};
    char buffer[32] = {};
    ssize_t n = check_syscall(::read(file.get(), buffer, sizeof buffer - 1),
                              fmt::format("read(\"{}\")", path));
    std::string value(buffer, static_cast<size_t>(n));
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    return value;
}

void write_value(const char* path, const std::string& value, std::string_view name) {
    explain::step({fmt::format("write(\"{}\", \"{}\")", path, value),
                   fmt::format("sysctl -w {}={}", name, value), "proc(5), sysctl(8)"});
    fd::Fd file{
        check_syscall(::open(path, O_WRONLY | O_CLOEXEC), fmt::format("open(\"{}\")", path))};
    check_syscall(::write(file.get(), value.data(), value.size()),
                  fmt::format("write(\"{}\", \"{}\")", path, value));
}

// Forwarding on, its previous value saved first (record, then make): the
// file exists while some container may have changed the setting.
void enable_forwarding(const net::Plan& plan) {
    if (read_value(kForwarding) == "1") return;
    fs::path saved = plan.state / kSaved;
    int raw = ::openat(plan.state_dir.get(), kSaved,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw == -1 && errno != EEXIST)
        throw error::syscall_error(errno, fmt::format("open(\"{}\")", saved.string()));
    if (raw >= 0) {
        fd::Fd file{raw};
        std::string before = read_value(kForwarding) + "\n";
        check_syscall(::write(file.get(), before.data(), before.size()),
                      fmt::format("write(\"{}\")", saved.string()));
    }
    write_value(kForwarding, "1", "net.ipv4.ip_forward");
}

// --- the undos (host::register_kind): each works from its journalled arg alone ---

// "shared nft-table ip unshared": the last container deletes the table.
void undo_table(std::string_view /* "ip unshared" */) {
    if (!netlink::nft_table_exists(kTable)) return;
    try {
        run_nft(fmt::format("delete table ip {}\n", kTable));
    } catch (const std::runtime_error& e) {
        if (!says_missing(e)) throw;
    }
}

// "shared sysctl <state>/net/sysctl-net.ipv4.ip_forward": put the saved value back.
void undo_sysctl(std::string_view saved_path) {
    std::string path(saved_path);
    int raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (raw == -1 && errno == ENOENT) return;  // nothing was changed
    fd::Fd file{check_syscall(raw, fmt::format("open(\"{}\")", path))};
    char buffer[32] = {};
    ssize_t n = check_syscall(::read(file.get(), buffer, sizeof buffer - 1),
                              fmt::format("read(\"{}\")", path));
    std::string value(buffer, static_cast<size_t>(n));
    while (!value.empty() && value.back() == '\n') value.pop_back();
    if (value != "0" && value != "1")
        throw std::runtime_error(fmt::format("{}: not a saved ip_forward value", path));
    write_value(kForwarding, value, "net.ipv4.ip_forward");
    check_syscall(::unlink(path.c_str()), fmt::format("unlink(\"{}\")", path));
}

// "tcp-8080" -> ("tcp", 8080).
std::pair<std::string, uint16_t> port_of(std::string_view name) {
    size_t dash = name.find('-');
    unsigned port = 0;
    std::string_view number = name.substr(dash + 1);
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), port);
    std::string protocol(name.substr(0, dash));
    if (dash == std::string_view::npos || error != std::errc{} || port == 0 || port > 65535 ||
        (protocol != "tcp" && protocol != "udp"))
        throw std::runtime_error(fmt::format("not a published port's claim: {}", name));
    return {protocol, static_cast<uint16_t>(port)};
}

// "own port <state>/net/ports/tcp-8080": its DNAT element, then its claim.
void undo_port(std::string_view claim_path) {
    lease::release(claim_path, [](std::string_view name) {
        auto [protocol, port] = port_of(name);
        if (!netlink::nft_table_exists(kTable)) return;
        try {
            run_nft(unpublish_rule(protocol, port));
        } catch (const std::runtime_error& e) {
            if (!says_missing(e)) throw;
        }
    });
}

std::string claim_name(const net::Publish& p) {
    return fmt::format("{}-{}", net::name_of(p.protocol), p.host_port);
}

}  // namespace

std::string table_rules(const ipv4::Subnet& subnet, std::string_view bridge) {
    // fib daddr type local: only packets sent to one of the host's own
    // addresses; 127.0.0.0/8 is left out of output because a packet from
    // the host's loopback cannot be routed to the bridge (see the lesson).
    return fmt::format(
        "table ip {0} {{\n"
        "  map published {{\n"
        "    type inet_proto . inet_service : ipv4_addr . inet_service\n"
        "  }}\n"
        "  chain prerouting {{\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        "    fib daddr type local dnat ip to meta l4proto . th dport map @published\n"
        "  }}\n"
        "  chain output {{\n"
        "    type nat hook output priority -100; policy accept;\n"
        "    ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to meta l4proto . th dport "
        "map @published\n"
        "  }}\n"
        "  chain postrouting {{\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        "    ip saddr {1} oifname != \"{2}\" masquerade\n"
        "  }}\n"
        "}}\n",
        kTable, subnet.str(), bridge);
}

std::string publish_rule(const net::Publish& p, ipv4::Address container) {
    return fmt::format("add element ip {} published {{ {} . {} : {} . {} }}\n", kTable,
                       net::name_of(p.protocol), p.host_port, container.str(), p.port);
}

std::string unpublish_rule(std::string_view protocol, uint16_t host_port) {
    return fmt::format("delete element ip {} published {{ {} . {} }}\n", kTable, protocol,
                       host_port);
}

void run_nft(const std::string& script) {
    explain::step({"execve(\"nft\", [\"nft\", \"-f\", \"-\"])", "nft -f - <<EOF", "nft(8)"});
    for (size_t at = 0; at < script.size();) {
        size_t end = script.find('\n', at);
        explain::note("  " + script.substr(at, end - at));
        at = end == std::string::npos ? script.size() : end + 1;
    }
    explain::note("  EOF");
    std::string nft = find_nft();
    fd::Pipe in = fd::make_pipe(), out = fd::make_pipe();
    pid_t parent = ::getpid();
    pid_t pid = check_syscall(::fork(), "fork() for nft");
    if (pid == 0) {
        if (::getppid() != parent) ::_exit(126);  // the runtime died before PDEATHSIG was set
        exec_nft(nft, in.read.get(), out.write.get());
    }
    in.read.reset();
    out.write.reset();
    // The script is far smaller than a pipe's buffer: this write cannot block.
    ssize_t written = ::write(in.write.get(), script.data(), script.size());
    int write_error = written == -1 ? errno : 0;
    in.write.reset();
    std::string said = read_all(out.read.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) throw error::syscall_error(errno, "waitpid(nft)");
    }
    if (write_error != 0 && status == 0)
        throw error::syscall_error(write_error, "write(stdin of nft -f -)");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string first = said.substr(0, said.find('\n'));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) first = "cannot execute " + nft;
    throw std::runtime_error(
        fmt::format("nft -f -: {} (exit status {})", first.empty() ? "failed" : first,
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)));
}

void ensure_masquerade(host::Ledger& ledger, const net::Plan& plan) {
    // Journalled before anything is made, and without holding the state's
    // lease::Lock: record_shared takes the Ledger's own lock, which the last
    // container holds while it undoes (see lease::Lock).
    ledger.record_shared("nft-table", fmt::format("ip {}", kTable));
    ledger.record_shared("sysctl", (plan.state / kSaved).string());
    lease::Lock lock{plan.state_dir, plan.state};
    if (netlink::nft_table_exists(kTable))
        explain::note(fmt::format("table ip {} is there already: no nft to run", kTable));
    else
        run_nft(table_rules(plan.subnet, net::kBridge));
    enable_forwarding(plan);
}

void publish(host::Ledger& ledger, net::Plan& plan, const std::vector<net::Publish>& ports) {
    if (ports.empty()) return;
    lease::Pool pool{plan.state_dir, plan.state, "ports"};
    std::string script;
    {
        lease::Lock lock{pool.dir(), pool.path()};
        for (const net::Publish& p : ports) {
            std::optional<lease::Claim> claim = pool.available(claim_name(p))
                                                    ? pool.claim(ledger, "port", claim_name(p))
                                                    : std::nullopt;
            if (!claim)
                throw error::UsageError(
                    fmt::format("-p {}: host port {}/{} is already published by another container",
                                p.str(), p.host_port, net::name_of(p.protocol)));
            plan.ports.push_back(std::move(*claim));
            script += publish_rule(p, plan.address);
        }
    }
    run_nft(script);
}

void register_undos() {
    host::register_kind("nft-table", undo_table);
    host::register_kind("sysctl", undo_sysctl);
    host::register_kind("port", undo_port);
}

}  // namespace nat
