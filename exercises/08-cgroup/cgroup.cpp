#include "cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <utility>

#include "error.hpp"
#include "explain.hpp"
#include "host.hpp"
#include "say.hpp"
#include "spec.hpp"

namespace cgroup {

using error::check_syscall;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMount = "/sys/fs/cgroup";
constexpr std::string_view kProjectParent = "unshared";
// The controllers the container gets a directory in. cpuacct exists in v1
// only (v2's cpu.stat counts CPU time in every cgroup): it limits nothing,
// but it is where v1 counts the container's CPU time.
constexpr std::string_view kControllers[] = {"memory", "cpu", "cpuacct", "pids"};
// How long an undo waits for the killed processes to leave their cgroup.
constexpr auto kRemoveTimeout = std::chrono::seconds(5);
constexpr auto kRemoveRetry = std::chrono::milliseconds(10);

// --- the table of file names ----------------------------------------------

constexpr FileNames kV1Files{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                             "cpu.cfs_quota_us", "pids.max", "memory.oom_control"};
constexpr FileNames kV2Files{"memory.max", "memory.swap.max", "cpu.max", "pids.max",
                             "memory.events"};
constexpr std::string_view kV1CpuPeriod = "cpu.cfs_period_us";

// --- small file helpers -------------------------------------------------------

bool is_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The value of `key` in a "key value" file (memory.events, cpu.stat).
std::optional<uint64_t> field(std::string_view text, std::string_view key) {
    std::istringstream lines{std::string(text)};
    std::string name;
    uint64_t value = 0;
    while (lines >> name >> value)
        if (name == key) return value;
    return std::nullopt;
}

// A small file of a cgroup directory, or nullopt if it does not exist.
std::optional<std::string> read_file(const fd::Fd& dir, const fs::path& dir_path,
                                     std::string_view file) {
    std::string name{file};
    int raw = ::openat(dir.get(), name.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw == -1 && errno == ENOENT) return std::nullopt;
    fd::Fd opened{check_syscall(raw, fmt::format("open(\"{}\")", (dir_path / name).string()))};
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(opened.get(), buffer, sizeof buffer);
        if (n == -1 && errno == EINTR) continue;
        check_syscall(n, fmt::format("read(\"{}\")", (dir_path / name).string()));
        if (n == 0) return text;
        text.append(buffer, static_cast<size_t>(n));
    }
}

// Writes `value` into a control file: the whole of it in one write(2), as
// the kernel parses each write on its own (cgroups(7), "Cgroups v2 interface files").
void write_file(const fd::Fd& dir, const fs::path& dir_path, std::string_view file,
                std::string_view value) {
    std::string path = (dir_path / file).string();
    std::string call = fmt::format("write(\"{}\", \"{}\")", path, value);
    explain::step(
        {call, fmt::format("echo {} > {}", explain::shell_quote(value), path), "cgroups(7)"});
    std::string name{file};
    fd::Fd opened{check_syscall(::openat(dir.get(), name.c_str(), O_WRONLY | O_CLOEXEC),
                                fmt::format("open(\"{}\", O_WRONLY)", path))};
    ssize_t n;
    do n = ::write(opened.get(), value.data(), value.size());
    while (n == -1 && errno == EINTR);
    check_syscall(n, call);
}

fd::Fd open_dir(const fs::path& path) {
    return fd::Fd{check_syscall(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                                fmt::format("open(\"{}\", O_DIRECTORY)", path.string()))};
}

std::optional<long> fs_type(const fs::path& path) {
    struct statfs st {};
    if (::statfs(path.c_str(), &st) == -1) return std::nullopt;
    return static_cast<long>(st.f_type);
}

// sd_booted(3): systemd runs if this directory exists.
bool systemd_runs() {
    struct stat st {};
    return ::lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

// --- the layout -----------------------------------------------------------------

// /proc/cgroups: "subsys_name hierarchy num_cgroups enabled", one line each.
// Controllers with the same hierarchy number are mounted together (v1).
std::map<std::string, int> hierarchy_numbers() {
    std::ifstream file("/proc/cgroups");
    std::map<std::string, int> numbers;
    std::string line;
    while (std::getline(file, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream words{line};
        std::string name;
        int hierarchy = 0, count = 0, enabled = 0;
        if (words >> name >> hierarchy >> count >> enabled && enabled && hierarchy > 0)
            numbers[name] = hierarchy;
    }
    return numbers;
}

Layout detect_v1() {
    Layout layout{Version::v1, {}};
    std::map<std::string, int> numbers = hierarchy_numbers();
    for (std::string_view controller : kControllers) {
        fs::path dir = fs::path(kMount) / controller;
        if (fs_type(dir) != CGROUP_SUPER_MAGIC) continue;
        std::error_code ec;
        fs::path root = fs::canonical(dir, ec);  // Debian: cpu -> cpu,cpuacct
        if (ec) continue;
        auto same = std::find_if(layout.hierarchies.begin(), layout.hierarchies.end(),
                                 [&](const Hierarchy& h) { return h.root == root; });
        if (same != layout.hierarchies.end()) continue;
        Hierarchy hierarchy{root, {}};
        auto number = numbers.find(std::string(controller));
        for (const auto& [name, n] : numbers)
            if (number != numbers.end() && n == number->second)
                hierarchy.controllers.push_back(name);
        if (hierarchy.controllers.empty()) hierarchy.controllers.emplace_back(controller);
        layout.hierarchies.push_back(std::move(hierarchy));
    }
    return layout;
}

// The controllers listed in a v2 cgroup's cgroup.controllers (or subtree_control).
std::vector<std::string> words_of(const fd::Fd& dir, const fs::path& path, std::string_view file) {
    std::istringstream words{read_file(dir, path, file).value_or("")};
    std::vector<std::string> list;
    for (std::string word; words >> word;) list.push_back(word);
    return list;
}

bool has(const std::vector<std::string>& list, std::string_view word) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

// --- where the container's cgroup goes --------------------------------------------

// The directories UNSHARED_CGROUP_PARENT names, made canonical.
std::vector<fs::path> parents_from_environment() {
    const char* value = ::getenv("UNSHARED_CGROUP_PARENT");
    std::vector<fs::path> parents;
    if (value == nullptr || *value == '\0') return parents;
    std::istringstream list{value};
    for (std::string entry; std::getline(list, entry, ':');) {
        if (entry.empty()) continue;
        std::error_code ec;
        fs::path path = fs::canonical(entry, ec);
        if (ec)
            throw std::runtime_error(
                fmt::format("UNSHARED_CGROUP_PARENT: {}: {}", entry, ec.message()));
        parents.push_back(path);
    }
    return parents;
}

bool is_within(const fs::path& path, const fs::path& root) {
    auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return r == root.end();
}

// The base of a hierarchy: its root, or the directory the environment names in it.
fs::path base_of(const Hierarchy& hierarchy, const std::vector<fs::path>& parents) {
    if (parents.empty()) return hierarchy.root;
    for (const fs::path& parent : parents)
        if (is_within(parent, hierarchy.root)) return parent;
    throw std::runtime_error(
        fmt::format("UNSHARED_CGROUP_PARENT names no directory in the cgroup hierarchy at {}",
                    hierarchy.root.string()));
}

// --- hints ---------------------------------------------------------------------------

// What to do about a failure to make or set up a cgroup under `base`.
std::string hint_for(int err, const fs::path& base) {
    if (err == EACCES || err == EPERM) {
        if (systemd_runs())
            return "this host runs systemd, which delegates a cgroup subtree to another program "
                   "only on request (Delegate=, systemd.resource-control(5)): run as root, or "
                   "set UNSHARED_CGROUP_PARENT to an empty cgroup delegated to you";
        return "are you root? run it with sudo";
    }
    if (err == EBUSY)
        return fmt::format(
            "{} holds processes itself, and cgroup v2 enables controllers only for the "
            "children of a cgroup without any (\"no internal processes\"): set "
            "UNSHARED_CGROUP_PARENT to an empty cgroup",
            base.string());
    if (err == ENOENT)
        return fmt::format(
            "the parent of {} does not pass that controller down (its cgroup.subtree_control{}): "
            "set UNSHARED_CGROUP_PARENT to a cgroup that has it",
            base.string(), systemd_runs() ? "; systemd: Delegate=" : "");
    if (err == EROFS) return "/sys/fs/cgroup is mounted read-only here (inside a container?)";
    return "";
}

// Runs `step`; a system error comes back out with a hint about cgroups.
template <typename Step>
auto with_hint(const fs::path& base, Step step) {
    try {
        return step();
    } catch (const std::system_error& e) {
        std::string hint = hint_for(e.code().value(), base);
        if (hint.empty()) throw;
        throw std::runtime_error(fmt::format("{} (hint: {})", e.what(), hint));
    }
}

// --- making the directories ---------------------------------------------------------------

void explain_mkdir(const fs::path& path) {
    explain::step({fmt::format("mkdir(\"{}\")", path.string()),
                   "mkdir " + explain::shell_quote(path.string()), "cgroups(7), mkdir(2)"});
}

// The `unshared` parent: journalled every time, so that whichever run
// leaves it empty removes it (kParentKind's undo leaves it while it is used).
void make_parent(host::Ledger& host, const fs::path& parent) {
    host.record(kParentKind, parent.string());
    explain_mkdir(parent);
    if (::mkdir(parent.c_str(), 0755) == -1 && errno != EEXIST)
        throw error::syscall_error(errno, fmt::format("mkdir(\"{}\")", parent.string()));
}

// v2: enables `controllers` for the children of `dir` (those not enabled yet).
void enable_controllers(const fs::path& dir, const std::vector<std::string>& controllers) {
    fd::Fd fd = open_dir(dir);
    std::vector<std::string> enabled = words_of(fd, dir, "cgroup.subtree_control");
    for (const std::string& controller : controllers)
        if (!has(enabled, controller))
            write_file(fd, dir, "cgroup.subtree_control", "+" + controller);
}

// The container's own directory; EEXIST is an error (another run has it).
void make_own(host::Ledger& host, const fs::path& path) {
    host.record(kDirKind, path.string());
    explain_mkdir(path);
    if (::mkdir(path.c_str(), 0755) == 0) return;
    int err = errno;
    if (err == EEXIST)
        throw std::runtime_error(fmt::format(
            "mkdir(\"{}\"): the cgroup exists already: is a container of that name running? "
            "(what a killed run left is removed by the next run)",
            path.string()));
    throw error::syscall_error(err, fmt::format("mkdir(\"{}\")", path.string()));
}

// The v2 controllers the limits need, checked against what `base` offers.
std::vector<std::string> v2_controllers(const fs::path& base, const Limits& limits) {
    fd::Fd fd = open_dir(base);
    std::vector<std::string> available = words_of(fd, base, "cgroup.controllers");
    struct Need {
        std::string_view controller;
        bool needed;
        std::string_view option;
    };
    const Need needs[] = {{"memory", limits.memory || limits.memory_swap, "--memory"},
                          {"cpu", limits.cpus.has_value(), "--cpus"},
                          {"pids", limits.pids.has_value(), "--pids-limit"}};
    std::vector<std::string> controllers;
    for (const Need& need : needs) {
        if (has(available, need.controller)) {
            controllers.emplace_back(need.controller);
        } else if (need.needed) {
            throw std::runtime_error(
                fmt::format("{}: the {} controller is not available in {} (hint: {})", need.option,
                            need.controller, base.string(), hint_for(ENOENT, base)));
        }
    }
    return controllers;
}

// Makes <base>/unshared/<name>; v2 first enables the controllers for the
// children of base and of the parent. A parent that a run ending meanwhile
// removed (it was empty for an instant) makes the next step fail with
// ENOENT: make it again.
void make_dirs(host::Ledger& host, Version version, const fs::path& base, const fs::path& own,
               const std::vector<std::string>& controllers) {
    fs::path parent = own.parent_path();
    for (int attempt = 1;; ++attempt) {
        try {
            if (version == Version::v2) enable_controllers(base, controllers);
            make_parent(host, parent);
            if (version == Version::v2) enable_controllers(parent, controllers);
            make_own(host, own);
            return;
        } catch (const std::system_error& e) {
            if (e.code().value() != ENOENT || attempt == 3 || fs::exists(parent)) throw;
        }
    }
}

Cgroup::Dir make_one(host::Ledger& host, Version version, const Hierarchy& hierarchy,
                     const fs::path& base, const Limits& limits, std::string_view name) {
    std::vector<std::string> controllers =
        version == Version::v2 ? v2_controllers(base, limits) : hierarchy.controllers;
    fs::path own = base / kProjectParent / name;
    with_hint(base, [&] { make_dirs(host, version, base, own, controllers); });
    return {own, controllers, open_dir(own)};
}

void check_name(std::string_view name) {
    bool ok = !name.empty() && name.size() <= 128 && name.front() != '.' &&
              std::all_of(name.begin(), name.end(), [](char c) {
                  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
              });
    if (!ok)
        throw std::logic_error(fmt::format("cgroup::create: \"{}\" is not a cgroup name", name));
}

// --- undo ------------------------------------------------------------------------------------

// SIGKILLs every process of one cgroup. v2 (Linux 5.14): cgroup.kill kills
// the cgroup and everything below it in one write, racing no fork. v1: kill
// each pid cgroup.procs lists, until it lists none (a process may fork
// between the read and the kill: read again).
void kill_all(const fs::path& path) {
    fd::Fd dir = open_dir(path);
    int kill_file = ::openat(dir.get(), "cgroup.kill", O_WRONLY | O_CLOEXEC);
    if (kill_file >= 0) {
        fd::Fd owned{kill_file};
        explain::step({fmt::format("write(\"{}/cgroup.kill\", \"1\")", path.string()),
                       fmt::format("echo 1 > {}/cgroup.kill", path.string()), "cgroups(7)"});
        check_syscall(::write(owned.get(), "1", 1),
                      fmt::format("write(\"{}/cgroup.kill\", \"1\")", path.string()));
        return;
    }
    for (int round = 0; round < 100; ++round) {
        std::istringstream pids{read_file(dir, path, "cgroup.procs").value_or("")};
        bool any = false;
        for (pid_t pid; pids >> pid;) {
            if (!any)
                explain::step(
                    {fmt::format("kill(<each pid of {}/cgroup.procs>, SIGKILL)", path.string()),
                     fmt::format("kill -KILL $(cat {}/cgroup.procs)", path.string()),
                     "kill(2), cgroups(7)"});
            any = true;
            if (::kill(pid, SIGKILL) == -1 && errno != ESRCH)
                throw error::syscall_error(errno, fmt::format("kill({}, SIGKILL)", pid));
        }
        if (!any) return;
    }
}

// The cgroups below `path` (only if the container made some).
std::vector<fs::path> children_of(const fs::path& path) {
    std::vector<fs::path> children;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_directory(ec) && !entry.is_symlink(ec)) children.push_back(entry.path());
    return children;
}

// rmdir(2), retried while the killed processes are still exiting (EBUSY).
void rmdir_retrying(const fs::path& path) {
    explain::step({fmt::format("rmdir(\"{}\")", path.string()),
                   "rmdir " + explain::shell_quote(path.string()), "rmdir(2)"});
    auto deadline = std::chrono::steady_clock::now() + kRemoveTimeout;
    for (;;) {
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return;
        if (errno != EBUSY || std::chrono::steady_clock::now() > deadline)
            throw error::syscall_error(errno, fmt::format("rmdir(\"{}\")", path.string()));
        if (!fs::exists(path / "cgroup.kill")) kill_all(path);  // v1: a late fork
        std::this_thread::sleep_for(kRemoveRetry);
    }
}

void remove_tree(const fs::path& path) {
    kill_all(path);
    for (const fs::path& child : children_of(path)) remove_tree(child);
    rmdir_retrying(path);
}

// A journal names the directory: undo only inside a cgroup filesystem, so
// that no journal can make the runtime kill or remove anything else.
bool is_cgroup_dir(const fs::path& path) {
    struct statfs st {};
    if (::statfs(path.c_str(), &st) == -1) {
        if (errno == ENOENT) return false;
        throw error::syscall_error(errno, fmt::format("statfs(\"{}\")", path.string()));
    }
    if (st.f_type != CGROUP_SUPER_MAGIC && st.f_type != CGROUP2_SUPER_MAGIC)
        throw std::runtime_error(fmt::format("{}: not in a cgroup filesystem", path.string()));
    return true;
}

void undo_dir(std::string_view arg) {
    fs::path path{arg};
    if (is_cgroup_dir(path)) remove_tree(path);
}

// The parent stays while another container's cgroup is in it (EBUSY).
void undo_parent(std::string_view arg) {
    fs::path path{arg};
    if (!is_cgroup_dir(path)) return;
    explain::step({fmt::format("rmdir(\"{}\")", path.string()),
                   fmt::format("rmdir {} 2>/dev/null   (kept while another container uses it)",
                               explain::shell_quote(path.string())),
                   "rmdir(2)"});
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT || errno == EBUSY || errno == ENOTEMPTY)
        return;
    throw error::syscall_error(errno, fmt::format("rmdir(\"{}\")", path.string()));
}

// Registered when this file is linked into a program, before main() runs,
// so that a run replays a dead run's cgroups before it makes its own.
const bool kRegistered = [] {
    host::register_kind(kDirKind, undo_dir);
    host::register_kind(kParentKind, undo_parent);
    return true;
}();

// A size's number and unit: "64" and 'm' from "64M" or "64mb".
bool split_size(std::string_view text, std::string_view& digits, char& unit) {
    if (!text.empty() && (text.back() == 'b' || text.back() == 'B')) text.remove_suffix(1);
    unit = 'b';
    if (!text.empty() && std::string_view("kKmMgG").find(text.back()) != std::string_view::npos) {
        unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
        text.remove_suffix(1);
    }
    digits = text;
    return is_digits(digits);
}

}  // namespace

// --- parsing ---------------------------------------------------------------------------------

uint64_t parse_size(std::string_view text, std::string_view option) {
    std::string_view digits;
    char unit;
    uint64_t number = 0;
    if (!split_size(text, digits, unit) ||
        std::from_chars(digits.data(), digits.data() + digits.size(), number).ec != std::errc{})
        throw error::UsageError(
            fmt::format("{} {}: not a size: give bytes, or a whole number with k, m or g (64m, 1g)",
                        option, say::one_line(text)));
    int shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : 0;
    if (number > (UINT64_MAX >> 1) >> shift)
        throw error::UsageError(fmt::format("{} {}: too large", option, say::one_line(text)));
    if (number == 0)
        throw error::UsageError(fmt::format("{} {}: must be more than 0", option, text));
    return number << shift;
}

double parse_cpus(std::string_view text, unsigned cpus_here) {
    // Digits and one dot only: no sign, exponent, "inf" or "nan" reach from_chars.
    bool plain = !text.empty() && std::count(text.begin(), text.end(), '.') <= 1 && text != "." &&
                 std::all_of(text.begin(), text.end(),
                             [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    double cpus = 0;
    if (plain) std::from_chars(text.data(), text.data() + text.size(), cpus);
    // Below 0.01 the quota would be under 1 ms, the least the kernel takes.
    if (!plain || cpus < 0.01 || cpus > cpus_here)
        throw error::UsageError(
            fmt::format("--cpus {}: give a number of CPUs from 0.01 to {} (this machine has {}; "
                        "0.5 is half of one CPU's time)",
                        say::one_line(text), cpus_here, cpus_here));
    return cpus;
}

uint64_t parse_pids(std::string_view text) {
    uint64_t pids = 0;
    if (!is_digits(text) ||
        std::from_chars(text.data(), text.data() + text.size(), pids).ec != std::errc{} ||
        pids < 1 || pids > kMaxPids)
        throw error::UsageError(
            fmt::format("--pids-limit {}: give a number of processes from 1 to {}",
                        say::one_line(text), kMaxPids));
    return pids;
}

void check(const Limits& limits) {
    if (!limits.memory_swap) return;
    if (!limits.memory)
        throw error::UsageError("--memory-swap: give --memory too (the swap limit counts both)");
    if (*limits.memory_swap < *limits.memory)
        throw error::UsageError(
            fmt::format("--memory-swap {}: less than --memory {} (it counts memory plus swap)",
                        format_size(*limits.memory_swap), format_size(*limits.memory)));
}

std::string format_size(uint64_t bytes) {
    constexpr std::pair<int, char> units[] = {{30, 'G'}, {20, 'M'}, {10, 'k'}};
    for (auto [shift, unit] : units)
        if (bytes != 0 && bytes % (uint64_t{1} << shift) == 0)
            return fmt::format("{}{}", bytes >> shift, unit);
    return std::to_string(bytes);
}

unsigned cpus_available() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == -1) return 1;
    return static_cast<unsigned>(CPU_COUNT(&set));
}

// --- layout and table ------------------------------------------------------------------------

const FileNames& files_of(Version version) {
    return version == Version::v2 ? kV2Files : kV1Files;
}

Layout detect() {
    auto type = fs_type(kMount);
    if (!type) throw error::syscall_error(errno, fmt::format("statfs(\"{}\")", kMount));
    if (*type == CGROUP2_SUPER_MAGIC) {
        fd::Fd root = open_dir(kMount);
        std::vector<std::string> controllers;
        for (const std::string& c : words_of(root, kMount, "cgroup.controllers"))
            if (std::find(std::begin(kControllers), std::end(kControllers), c) !=
                std::end(kControllers))
                controllers.push_back(c);
        return {Version::v2, {{kMount, controllers}}};
    }
    Layout layout = detect_v1();
    if (layout.hierarchies.empty())
        throw std::runtime_error(fmt::format(
            "{} is neither a cgroup2 filesystem nor holds v1 hierarchies (memory, cpu, pids): "
            "is the cgroup filesystem mounted?",
            kMount));
    return layout;
}

std::vector<Write> writes_for(const Limits& limits, Version version, bool swap_file) {
    std::vector<Write> writes;
    // EXERCISE 08-cgroup: turn the limits into the files (and values) the kernel reads, in order.
    // TOOLS: files_of(version): the table of file names (.memory, .swap, .cpu, .pids),
    //   kV1CpuPeriod ("cpu.cfs_period_us"), kCpuPeriodUs (100000), kUnlimited, and
    //   writes.push_back({"controller", "file", "value"}); create() writes them in this order.
    // QUESTION: What does the kernel do when a cgroup reaches pids.max, and when it reaches
    //   memory.max (cgroups(7); the kernel's Documentation/admin-guide/cgroup-v2.rst)?
    // QUESTION: A CPU limit is a quota of CPU time per period: how much is --cpus 0.5 of a
    //   100 ms period, and which file holds the period on v1, and on v2?
    // YOUR CODE HERE; then check it, as root: exercises/check 08-cgroup
    throw error::NotImplemented("turn the limits into the files (and values) the kernel reads, in order.");
    // END EXERCISE
    return writes;
}

// --- the container's cgroup -------------------------------------------------------------------

Cgroup::Cgroup(Version version, std::vector<Dir> dirs, Limits limits)
    : version_(version), dirs_(std::move(dirs)), limits_(limits) {}

Cgroup open_existing(const std::vector<std::string>& paths) {
    Layout layout = detect();
    std::vector<Cgroup::Dir> dirs;
    for (const std::string& path : paths) {
        fs::path dir{path};
        auto holds = [&](const Hierarchy& h) {
            auto [end, at] = std::mismatch(h.root.begin(), h.root.end(), dir.begin(), dir.end());
            return end == h.root.end() && at != dir.end();
        };
        auto hierarchy = std::find_if(layout.hierarchies.begin(), layout.hierarchies.end(), holds);
        if (hierarchy == layout.hierarchies.end())
            throw std::runtime_error(fmt::format("{}: not in a cgroup hierarchy of ours", path));
        fd::Fd fd{check_syscall(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                                fmt::format("open(\"{}\")", path))};
        dirs.push_back({path, hierarchy->controllers, std::move(fd)});
    }
    return Cgroup{layout.version, std::move(dirs), Limits{}};
}

const Cgroup::Dir* Cgroup::dir_with(std::string_view controller) const {
    for (const Dir& dir : dirs_)
        if (version_ == Version::v2 || has(dir.controllers, controller)) return &dir;
    return nullptr;
}

std::vector<std::string> Cgroup::paths() const {
    std::vector<std::string> paths;
    for (const Dir& dir : dirs_) paths.push_back(dir.path.string());
    return paths;
}

int Cgroup::fd() const {
    return version_ == Version::v2 && !dirs_.empty() ? dirs_.front().fd.get() : -1;
}

void Cgroup::attach(pid_t pid) const {
    if (version_ == Version::v2) {
        explain::note(fmt::format("pid {} was born in {} (clone3 CLONE_INTO_CGROUP)", pid,
                                  dirs_.front().path.string()));
        return;
    }
    for (const Dir& dir : dirs_) write_file(dir.fd, dir.path, "cgroup.procs", std::to_string(pid));
}

uint64_t Cgroup::oom_kills() const {
    const Dir* dir = dir_with("memory");
    if (dir == nullptr) return 0;
    auto text = read_file(dir->fd, dir->path, files_of(version_).oom);
    return text ? field(*text, "oom_kill").value_or(0) : 0;
}

std::optional<std::chrono::microseconds> Cgroup::cpu_usage() const {
    if (version_ == Version::v2) {
        const Dir& dir = dirs_.front();
        auto usec = field(read_file(dir.fd, dir.path, "cpu.stat").value_or(""), "usage_usec");
        if (usec) return std::chrono::microseconds(*usec);
        return std::nullopt;
    }
    const Dir* dir = dir_with("cpuacct");
    if (dir == nullptr) return std::nullopt;
    auto text = read_file(dir->fd, dir->path, "cpuacct.usage");
    uint64_t ns = 0;
    if (!text || std::from_chars(text->data(), text->data() + text->size(), ns).ec != std::errc{})
        return std::nullopt;
    return std::chrono::microseconds(ns / 1000);
}

int Cgroup::report_oom(int status) const {
    uint64_t kills = oom_kills();
    if (kills == 0) return status;
    if (limits_.memory)
        say::error(program_invocation_short_name,
                   fmt::format("out of memory: the container hit its {} memory limit",
                               format_size(*limits_.memory)));
    else
        say::error(program_invocation_short_name,
                   fmt::format("out of memory: the kernel's OOM killer ended {} of the "
                               "container's processes",
                               kills));
    return status;
}

std::string name_for(std::string_view hostname) {
    return fmt::format("{}-{}", hostname, ::getpid());
}

Cgroup create(host::Ledger& host, const Limits& limits, std::string_view name) {
    check_name(name);
    Layout layout = detect();
    std::vector<fs::path> parents = parents_from_environment();
    std::vector<Cgroup::Dir> dirs;
    for (const Hierarchy& hierarchy : layout.hierarchies)
        dirs.push_back(
            make_one(host, layout.version, hierarchy, base_of(hierarchy, parents), limits, name));
    Cgroup made{layout.version, std::move(dirs), limits};
    // The swap file exists only with swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1).
    const Cgroup::Dir* memory = made.dir_with("memory");
    bool swap_file = memory != nullptr &&
                     read_file(memory->fd, memory->path, files_of(layout.version).swap).has_value();
    for (const Write& write : writes_for(limits, layout.version, swap_file)) {
        const Cgroup::Dir* dir = made.dir_with(write.controller);
        if (dir == nullptr)
            throw std::runtime_error(
                fmt::format("the {} controller is not mounted under {}: "
                            "cannot write {}",
                            write.controller, kMount, write.file));
        write_file(dir->fd, dir->path, write.file, write.value);
    }
    return made;
}

void enter_namespace() {
    explain::step({"unshare(CLONE_NEWCGROUP)", "unshare --cgroup", "cgroup_namespaces(7)"});
    check_syscall(::unshare(CLONE_NEWCGROUP), "unshare(CLONE_NEWCGROUP)");
}

mnt::Table view_mounts(const Layout& layout) {
    constexpr unsigned long kRo = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    mnt::Table rows;
    if (layout.version == Version::v2) {
        rows.push_back({kMount, "cgroup2", "cgroup2", kRo, "", mnt::Target::mounted, "08-cgroup"});
        return rows;
    }
    // v1: a tmpfs to hold a mount point per hierarchy, made read-only after them.
    rows.push_back({kMount, "cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "mode=755,size=64k", mnt::Target::mounted, "08-cgroup"});
    for (const Hierarchy& hierarchy : layout.hierarchies) {
        std::string together;
        for (const std::string& c : hierarchy.controllers)
            together += (together.empty() ? "" : ",") + c;
        for (const std::string& c : hierarchy.controllers)
            if (std::find(std::begin(kControllers), std::end(kControllers), c) !=
                std::end(kControllers))
                rows.push_back({fmt::format("{}/{}", kMount, c), "cgroup", "cgroup", kRo, together,
                                mnt::Target::new_dir, "08-cgroup"});
    }
    rows.push_back(
        {kMount, "", "", MS_REMOUNT | MS_BIND | kRo, "", mnt::Target::mounted, "08-cgroup"});
    return rows;
}

namespace {

// --- the option group -------------------------------------------------------------------------

void add_options(CLI::App& app, spec::Spec& spec) {
    Limits& limits = spec.cgroup;
    app.add_option_function<std::string>(
           "-m,--memory",
           [&limits](const std::string& text) {
               uint64_t bytes = parse_size(text, "--memory");
               if (bytes < kMinMemory)
                   throw error::UsageError(
                       fmt::format("--memory {}: the smallest limit is {} (as in Docker)", text,
                                   format_size(kMinMemory)));
               limits.memory = bytes;
           },
           "The most RAM the container may use (memory.max): 64M, 1g, or bytes.\n"
           "Beyond it the kernel reclaims, then its OOM killer ends a process.")
        ->type_name("SIZE");
    app.add_option_function<std::string>(
           "--memory-swap",
           [&limits](const std::string& text) {
               limits.memory_swap = text == "-1" ? kUnlimited : parse_size(text, "--memory-swap");
           },
           "RAM plus swap, as in Docker (-1: swap without limit). Default with\n"
           "--memory: as much swap as memory, where the kernel can limit swap.")
        ->type_name("SIZE");
    app.add_option_function<std::string>(
           "--cpus",
           [&limits](const std::string& text) { limits.cpus = parse_cpus(text, cpus_available()); },
           "CPU time, in CPUs (cpu.max): 0.5 is half of one CPU's time, 2 two CPUs' worth.")
        ->type_name("N");
    app.add_option_function<std::string>(
           "--pids-limit", [&limits](const std::string& text) { limits.pids = parse_pids(text); },
           "The most processes (and threads) the container may have at once (pids.max):\n"
           "a fork bomb stops there.")
        ->type_name("N");
}

void finish_options(spec::Spec& spec) {
    check(spec.cgroup);
    // The view is decided with the layout; where there is no cgroup
    // filesystem at all, create() says so, with its hint, at run time.
    try {
        mnt::Table view = view_mounts(detect());
        spec.mounts.insert(spec.mounts.end(), view.begin(), view.end());
    } catch (const std::runtime_error&) {
    }
}

}  // namespace

const cli::Group options{"cgroup", add_options, finish_options};

}  // namespace cgroup
