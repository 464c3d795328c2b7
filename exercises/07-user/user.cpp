#include "user.hpp"

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "error.hpp"
#include "explain.hpp"
#include "mnt.hpp"
#include "process.hpp"
#include "spec.hpp"

namespace user {

using error::check_syscall;
using error::UsageError;

namespace {

// user_namespaces(7): at most 340 lines per map since Linux 4.15 (5 before);
// (uid_t)-1 means "no id" to the system calls, so the last id is 2^32 - 2.
constexpr size_t kMaxLines = 340;
constexpr uint64_t kLastId = 4294967294;

// The helpers of package uidmap are looked up in these directories, not in
// the caller's PATH: what the runtime runs should not depend on it.
constexpr std::string_view kHelperDirs[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin",
                                            "/usr/local/bin"};

std::string shown(const Range& r) {
    return fmt::format("{}:{}:{}", r.inside, r.outside, r.count);
}

uint64_t last(uint32_t first, uint32_t count) {
    return uint64_t{first} + count - 1;
}

bool overlap(uint32_t a, uint32_t a_count, uint32_t b, uint32_t b_count) {
    return a <= last(b, b_count) && b <= last(a, a_count);
}

std::optional<uint32_t> parse_id(std::string_view text) {
    uint32_t value = 0;
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || stop != end) return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (size_t at; (at = text.find(separator, start)) != std::string_view::npos; start = at + 1)
        fields.push_back(text.substr(start, at - start));
    fields.push_back(text.substr(start));
    return fields;
}

// "" if the file is missing: no entry, which the caller explains.
std::string read_file(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string helper_path(std::string_view name) {
    for (std::string_view dir : kHelperDirs) {
        std::string path = fmt::format("{}/{}", dir, name);
        if (::access(path.c_str(), X_OK) == 0) return path;
    }
    return "";
}

std::string with_escaped_newlines(std::string_view text) {
    std::string out;
    for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return out;
}

// One write(2) of the whole text: the kernel takes a map file's content
// from a single write, and refuses any later one (EPERM).
void write_proc_file(pid_t pid, std::string_view name, const std::string& text) {
    std::string path = fmt::format("/proc/{}/{}", pid, name);
    std::string body = text.substr(0, text.size() - 1);  // without the last newline
    std::string call = fmt::format("write(\"{}\", \"{}\")", path, with_escaped_newlines(text));
    explain::step({call,
                   body.find('\n') == std::string::npos
                       ? fmt::format("echo '{}' > {}", body, path)
                       : fmt::format("printf '{}' > {}", with_escaped_newlines(text), path),
                   "user_namespaces(7)"});
    fd::Fd file{check_syscall(::open(path.c_str(), O_WRONLY | O_CLOEXEC),
                              fmt::format("open(\"{}\")", path))};
    ssize_t written = check_syscall(::write(file.get(), text.data(), text.size()), call);
    if (static_cast<size_t>(written) != text.size())
        throw error::syscall_error(EIO, call + ": only part of it was written");
}

// newuidmap PID INSIDE OUTSIDE COUNT... (newgidmap the same): setuid root,
// it checks each range against the caller's /etc/subuid (/etc/subgid)
// entries, or the caller's own id, and writes the map file itself.
// newgidmap also writes setgroups: it leaves "allow" for ranges the
// administrator gave in /etc/subgid, and writes "deny" otherwise.
void run_helper(std::string_view name, pid_t pid, const Map& map) {
    std::string path = helper_path(name);
    if (path.empty())
        throw std::runtime_error(fmt::format("{} is not installed (package uidmap)", name));
    std::vector<std::string> words{path, std::to_string(pid)};
    for (const Range& r : map)
        for (uint32_t v : {r.inside, r.outside, r.count}) words.push_back(std::to_string(v));
    std::string command(name);
    for (size_t i = 1; i < words.size(); ++i) command += " " + words[i];
    explain::step({fmt::format("posix_spawn(\"{}\")", path), command, fmt::format("{}(1)", name)});

    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    char* envp[] = {nullptr};  // it needs nothing of our environment
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // only fds 0-2 (glibc 2.34)
    pid_t child = 0;
    int err = ::posix_spawn(&child, path.c_str(), &actions, nullptr, argv.data(), envp);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) throw error::syscall_error(err, fmt::format("posix_spawn(\"{}\")", path));
    int status = 0;
    pid_t rc;
    do rc = ::waitpid(child, &status, 0);
    while (rc < 0 && errno == EINTR);
    check_syscall(rc, fmt::format("waitpid({})", name));
    if (status != 0)
        throw std::runtime_error(fmt::format(
            "{} failed (exit status {}; its message is above): does /etc/sub{} give you these ids?",
            command, process::exit_status_of(status), name == "newuidmap" ? "uid" : "gid"));
}

// Is setgroups(2) allowed in our user namespace? /proc/self/setgroups says
// "deny" when the runtime (or newgidmap) wrote it, and nobody can undo that.
bool setgroups_allowed() {
    std::ifstream in("/proc/self/setgroups");
    std::string word;
    in >> word;
    return word == "allow";
}

}  // namespace

// --- maps ----------------------------------------------------------------------

Range parse_range(std::string_view text) {
    std::vector<std::string_view> fields = split(text, ':');
    auto bad = [&](std::string_view why) {
        return UsageError(fmt::format(
            "'{}': {}; expected INSIDE:OUTSIDE:COUNT, as in 0:100000:65536", text, why));
    };
    if (fields.size() != 3) throw bad("not three numbers");
    std::optional<uint32_t> inside = parse_id(fields[0]), outside = parse_id(fields[1]),
                            count = parse_id(fields[2]);
    if (!inside || !outside || !count) throw bad("each part must be a number from 0 to 4294967294");
    return {*inside, *outside, *count};
}

std::string map_problem(const Map& map) {
    if (map.empty()) return "the map is empty";
    if (map.size() > kMaxLines)
        return fmt::format("{} lines; the kernel takes at most {}", map.size(), kMaxLines);
    for (const Range& r : map) {
        if (r.count == 0) return fmt::format("{} maps no id (COUNT is 0)", shown(r));
        if (last(r.inside, r.count) > kLastId || last(r.outside, r.count) > kLastId)
            return fmt::format("{} goes past {}, the largest id", shown(r), kLastId);
    }
    for (size_t i = 0; i < map.size(); ++i)
        for (size_t j = i + 1; j < map.size(); ++j) {
            const Range &a = map[i], &b = map[j];
            if (overlap(a.inside, a.count, b.inside, b.count))
                return fmt::format("{} and {} overlap inside the container", shown(a), shown(b));
            if (overlap(a.outside, a.count, b.outside, b.count))
                return fmt::format("{} and {} overlap outside", shown(a), shown(b));
        }
    if (!outside_id(map, 0)) return "nothing maps 0, the container's root";
    return "";
}

std::optional<uint32_t> outside_id(const Map& map, uint32_t inside) {
    for (const Range& r : map)
        if (inside >= r.inside && inside <= last(r.inside, r.count))
            return r.outside + (inside - r.inside);
    return std::nullopt;
}

std::string map_text(const Map& map) {
    std::string text;
    for (const Range& r : map) text += fmt::format("{} {} {}\n", r.inside, r.outside, r.count);
    return text;
}

std::vector<Subordinate> subordinate_ranges(std::string_view text, std::string_view name,
                                            uid_t uid) {
    std::vector<Subordinate> found;
    for (std::string_view line : split(text, '\n')) {
        std::vector<std::string_view> fields = split(line, ':');
        if (fields.size() != 3 || line.starts_with('#')) continue;
        bool ours = (!name.empty() && fields[0] == name) || fields[0] == std::to_string(uid);
        std::optional<uint32_t> start = parse_id(fields[1]), count = parse_id(fields[2]);
        if (ours && start && count && *count > 0) found.push_back({*start, *count});
    }
    return found;
}

std::string overlapping_owner(std::string_view text, std::string_view name, uid_t uid,
                              const Subordinate& range) {
    for (std::string_view line : split(text, '\n')) {
        std::vector<std::string_view> fields = split(line, ':');
        if (fields.size() != 3 || line.starts_with('#')) continue;
        if (fields[0] == name || fields[0] == std::to_string(uid)) continue;
        std::optional<uint32_t> start = parse_id(fields[1]), count = parse_id(fields[2]);
        if (start && count && *count > 0 && overlap(*start, *count, range.start, range.count))
            return std::string(fields[0]);
    }
    return "";
}

// --- the runtime's side: writing the maps -----------------------------------------

void write_maps(pid_t pid, const Settings& settings) {
    if (!settings.enabled) return;
    explain::note(fmt::format("the maps: {}", settings.origin));
    if (settings.writer == Writer::self)
        explain::note("unshare --user --map-root-user makes these three writes for itself");
    // EXERCISE 07-user: write the child's maps, and setgroups where the kernel requires it.
    // TOOLS: write_proc_file(pid, "uid_map", text): one write(2) of /proc/PID/uid_map, narrated
    // TOOLS: map_text(map): a Map as the "INSIDE OUTSIDE COUNT" lines the kernel reads
    // TOOLS: run_helper("newuidmap", pid, map): newuidmap(1) or newgidmap(1) writes it for you
    // QUESTION: who may write which map (user_namespaces(7), "Defining user and group ID
    //   mappings")? What changes when the runtime is not root?
    // QUESTION: why would an unprivileged user be refused gid_map while setgroups says
    //   "allow" (CVE-2014-8989)? And why does root's container keep "allow"?
    // YOUR CODE HERE; then check it, as root: exercises/check 07-user
    throw error::NotImplemented("write the child's maps, and setgroups where the kernel requires it.");
    // END EXERCISE
}

// --- the child's side: becoming root inside -------------------------------------------

void become_root(const Settings& settings) {
    if (!settings.enabled) return;
    // Until now the child runs with the runtime's ids, which the maps may not
    // hold (host root is not in 0 100000 65536): inside it is "nobody", and
    // creating a file on its own tmpfs would fail (EOVERFLOW). So this comes
    // first, before the mounts.
    explain::step({"setresgid(0, 0, 0)", "setpriv --regid 0", "setresgid(2)"});
    check_syscall(::setresgid(0, 0, 0), "setresgid(0, 0, 0)");
    if (setgroups_allowed()) {
        // The runtime's supplementary groups are host groups (root's 0):
        // kept, they would give the container group access to host files.
        explain::step({"setgroups(0, NULL)", "setpriv --clear-groups", "setgroups(2)"});
        check_syscall(::setgroups(0, nullptr), "setgroups(0, NULL)");
    }
    explain::step({"setresuid(0, 0, 0)", "setpriv --reuid 0", "setresuid(2)"});
    check_syscall(::setresuid(0, 0, 0), "setresuid(0, 0, 0)");
    // prctl(2): "the parent-death signal ... is cleared ... when the
    // process's credentials change": without this, a killed runtime would
    // leave the container running.
    explain::step({"prctl(PR_SET_PDEATHSIG, SIGKILL)", "(again: the credential change cleared it)",
                   "prctl(2)"});
    process::arm_death_signal();
}

// --- the option group --------------------------------------------------------------

namespace {

bool is_own_single(const Map& map, uint32_t own) {
    return map == Map{{0, own, 1}};
}

// A range a rootless caller may map through the helpers: its own id, or
// inside one of its subordinate ranges.
bool helper_allows(const Range& r, uint32_t own, const std::vector<Subordinate>& ranges) {
    if (r.count == 1 && r.outside == own) return true;
    for (const Subordinate& s : ranges)
        if (r.outside >= s.start && last(r.outside, r.count) <= last(s.start, s.count)) return true;
    return false;
}

// A line "name:password:uid:gid:..." of /etc/passwd (passwd(5)), read by
// hand: getpwnam(3) goes through NSS, which a static binary cannot load.
struct Account {
    std::string name;
    uid_t uid = 0;
};

std::optional<Account> find_account(std::string_view name, std::optional<uid_t> uid) {
    for (std::string_view line : split(read_file("/etc/passwd"), '\n')) {
        std::vector<std::string_view> fields = split(line, ':');
        if (fields.size() < 4) continue;
        std::optional<uint32_t> id = parse_id(fields[2]);
        if (id && (fields[0] == name || (uid && *id == *uid)))
            return Account{std::string(fields[0]), *id};
    }
    return std::nullopt;
}

struct Caller {
    uid_t uid;
    gid_t gid;
    std::string name;  // "" if the uid has no passwd entry
};

Caller caller() {
    Caller c{::geteuid(), ::getegid(), ""};
    if (auto account = find_account("", c.uid)) c.name = account->name;
    return c;
}

// --uid-map/--gid-map given by hand.
void use_given_maps(Settings& s, bool rootless) {
    if (s.uids.empty()) s.uids = s.gids;  // one given: the other is the same, as in Podman
    if (s.gids.empty()) s.gids = s.uids;
    if (std::string why = map_problem(s.uids); !why.empty()) throw UsageError("--uid-map: " + why);
    if (std::string why = map_problem(s.gids); !why.empty()) throw UsageError("--gid-map: " + why);
    s.origin = "given with --uid-map/--gid-map";
    if (!rootless) return;
    Caller me = caller();
    if (is_own_single(s.uids, me.uid) && is_own_single(s.gids, me.gid)) {
        s.writer = Writer::self;
        return;
    }
    s.writer = Writer::helper;
    struct Kind {
        const char* option;
        const Map& map;
        uint32_t own;
        const char* file;
        const char* helper;
    };
    for (const Kind& k : {Kind{"--uid-map", s.uids, me.uid, "/etc/subuid", "newuidmap"},
                          Kind{"--gid-map", s.gids, me.gid, "/etc/subgid", "newgidmap"}}) {
        if (helper_path(k.helper).empty())
            throw UsageError(
                fmt::format("{}: mapping more than your own id needs {} (package "
                            "uidmap), which is not installed",
                            k.option, k.helper));
        auto ranges = subordinate_ranges(read_file(k.file), me.name, me.uid);
        for (const Range& r : k.map)
            if (!helper_allows(r, k.own, ranges))
                throw UsageError(
                    fmt::format("{} {}: the outside ids are neither yours ({}) nor "
                                "in your range in {}",
                                k.option, shown(r), k.own, k.file));
    }
}

// Root: the dedicated user's subordinate range, the same for uids and gids.
Map dedicated_map(const char* file) {
    std::optional<Account> account = find_account(kDedicatedUser, std::nullopt);
    uid_t uid = account ? account->uid : static_cast<uid_t>(-1);
    std::string text = read_file(file);
    auto ranges = subordinate_ranges(text, kDedicatedUser, uid);
    if (ranges.empty())
        throw UsageError(fmt::format(
            "{} has no entry for the user {}, whose ids the container's are mapped to: add one "
            "with `sudo ./quickstart user` (or usermod --add-subuids/--add-subgids), or give "
            "--uid-map",
            file, kDedicatedUser));
    const Subordinate& r = ranges.front();
    if (r.count < kContainerIds)
        throw UsageError(fmt::format(
            "{} gives the user {} {} ids ({}:{}); a container needs {} (0-65535): give it a "
            "bigger range, or --uid-map",
            file, kDedicatedUser, r.count, r.start, r.count, kContainerIds));
    if (std::string other = overlapping_owner(text, kDedicatedUser, uid, r); !other.empty())
        throw UsageError(fmt::format(
            "{}: the range of {} ({}:{}) overlaps the range of {}, who could then act on the "
            "container's files and processes: give {} a range of its own",
            file, kDedicatedUser, r.start, r.count, other, kDedicatedUser));
    return {{0, r.start, kContainerIds}};
}

// Rootless: our own id as root, and our subordinate range if the helpers
// can map it; else only our own id.
void use_rootless_maps(Settings& s) {
    Caller me = caller();
    auto sub_uids = subordinate_ranges(read_file("/etc/subuid"), me.name, me.uid);
    auto sub_gids = subordinate_ranges(read_file("/etc/subgid"), me.name, me.uid);
    auto big_enough = [](const std::vector<Subordinate>& r) {
        return !r.empty() && r.front().count >= kContainerIds - 1;
    };
    bool helpers = !helper_path("newuidmap").empty() && !helper_path("newgidmap").empty();
    if (helpers && big_enough(sub_uids) && big_enough(sub_gids)) {
        s.uids = {{0, me.uid, 1}, {1, sub_uids.front().start, kContainerIds - 1}};
        s.gids = {{0, me.gid, 1}, {1, sub_gids.front().start, kContainerIds - 1}};
        s.writer = Writer::helper;
        s.origin =
            fmt::format("rootless: root is you (uid {}), 1-65535 your /etc/subuid range", me.uid);
        return;
    }
    s.uids = {{0, me.uid, 1}};
    s.gids = {{0, me.gid, 1}};
    s.writer = Writer::self;
    s.origin = fmt::format("rootless: root is you (uid {}) and no other id is mapped ({})", me.uid,
                           helpers ? "no /etc/subuid and /etc/subgid range of 65535 ids for you"
                                   : "newuidmap/newgidmap are not installed");
}

void add_options(CLI::App& app, spec::Spec& spec) {
    auto add_map = [&](const char* name, Map& map, const char* what) {
        app.add_option_function<std::vector<std::string>>(
               name,
               [&map, name](const std::vector<std::string>& ranges) {
                   for (const std::string& r : ranges) {
                       try {
                           map.push_back(parse_range(r));
                       } catch (const UsageError& e) {
                           throw UsageError(fmt::format("{} {}", name, e.what()));
                       }
                   }
               },
               what)
            ->allow_extra_args(false)  // one range per --uid-map: never eats the command
            ->type_name("INSIDE:OUTSIDE:COUNT");
    };
    add_map("--uid-map", spec.user.uids,
            "Map COUNT container uids from INSIDE to host uids from OUTSIDE (repeatable).\n"
            "Default as root: 0-65535 to the range /etc/subuid gives the user `unshared`;\n"
            "rootless: root is you, 1-65535 your /etc/subuid range (via newuidmap).");
    add_map("--gid-map", spec.user.gids,
            "The same for group ids (default: as --uid-map, or /etc/subgid).");
    app.add_option("--userns", spec.user.userns,
                   "private: a user namespace of its own (the container's root is an\n"
                   "unprivileged uid on the host); host: keep the host's (root is root).")
        ->check(CLI::IsMember({"private", "host"}))
        ->capture_default_str()
        ->type_name("MODE");
}

void finish_options(spec::Spec& spec) {
    Settings& s = spec.user;
    bool rootless = ::geteuid() != 0;
    if (s.userns == "host") {
        if (!s.uids.empty() || !s.gids.empty())
            throw UsageError("--uid-map/--gid-map need a user namespace: drop --userns host");
        if (rootless)
            throw UsageError(
                "--userns host: without a user namespace of its own, only root may create the "
                "container's other namespaces; drop --userns host, or run it as root");
        return;
    }
    s.enabled = true;
    if (!s.uids.empty() || !s.gids.empty()) {
        use_given_maps(s, rootless);
    } else if (!rootless) {
        s.uids = dedicated_map("/etc/subuid");
        s.gids = dedicated_map("/etc/subgid");
        s.origin = fmt::format("0-65535 to the range of the user {} in /etc/subuid, /etc/subgid",
                               kDedicatedUser);
    } else {
        use_rootless_maps(s);
    }
    // devpts(5) gid=5 gives new terminals to group tty, 5 inside: the mount
    // fails (EINVAL) if no host gid stands for it.
    if (!outside_id(s.gids, 5)) mnt::drop_option(spec.mounts, "/dev/pts", "gid=5");
}

}  // namespace

const cli::Group options{"user", add_options, finish_options};

}  // namespace user
