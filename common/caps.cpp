#include "caps.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "error.hpp"
#include "explain.hpp"
#include "inroot.hpp"
#include "process.hpp"
#include "spec.hpp"

namespace caps {

using error::check_syscall;

// --- the names ----------------------------------------------------------------

namespace {

// capabilities(7), "Capabilities list", in the kernel's order. The numbers
// come from <linux/capability.h>; CAP_CHECKPOINT_RESTORE (Linux 5.9) is
// the last one the kernel has had since 2020.
static_assert(CAP_CHECKPOINT_RESTORE == 40, "<linux/capability.h> older than Linux 5.9");
constexpr std::array kTable{
    Capability{CAP_CHOWN, "chown", "change the owner and group of any file"},
    Capability{CAP_DAC_OVERRIDE, "dac_override", "read, write and run any file, whatever its mode"},
    Capability{CAP_DAC_READ_SEARCH, "dac_read_search",
               "read any file and directory; open_by_handle_at(2), the 2014 \"shocker\" escape"},
    Capability{CAP_FOWNER, "fowner", "act as the owner of any file (chmod, utimes, ...)"},
    Capability{CAP_FSETID, "fsetid", "keep the setuid/setgid bits of a file it modifies"},
    Capability{CAP_KILL, "kill", "send signals to any process"},
    Capability{CAP_SETGID, "setgid", "become any group, choose supplementary groups"},
    Capability{CAP_SETUID, "setuid", "become any user"},
    Capability{CAP_SETPCAP, "setpcap",
               "drop from the bounding set, grant inheritable capabilities"},
    Capability{CAP_LINUX_IMMUTABLE, "linux_immutable", "set the immutable and append-only flags"},
    Capability{CAP_NET_BIND_SERVICE, "net_bind_service", "bind ports below 1024"},
    Capability{CAP_NET_BROADCAST, "net_broadcast", "broadcast and multicast (unused)"},
    Capability{CAP_NET_ADMIN, "net_admin", "configure interfaces, routes and firewall rules"},
    Capability{CAP_NET_RAW, "net_raw", "raw and packet sockets: ping, and forged packets"},
    Capability{CAP_IPC_LOCK, "ipc_lock", "lock memory beyond RLIMIT_MEMLOCK"},
    Capability{CAP_IPC_OWNER, "ipc_owner", "bypass the permissions of System V IPC objects"},
    Capability{CAP_SYS_MODULE, "sys_module", "load kernel modules: run any code in the kernel"},
    Capability{CAP_SYS_RAWIO, "sys_rawio", "raw I/O: I/O ports, /dev/mem, /proc/kcore"},
    Capability{CAP_SYS_CHROOT, "sys_chroot", "chroot(2), and setns(2) into a mount namespace"},
    Capability{CAP_SYS_PTRACE, "sys_ptrace", "trace and read the memory of any process"},
    Capability{CAP_SYS_PACCT, "sys_pacct", "switch process accounting on and off"},
    Capability{CAP_SYS_ADMIN, "sys_admin",
               "mount, namespaces, sethostname and much more: \"the new root\""},
    Capability{CAP_SYS_BOOT, "sys_boot", "reboot(2), kexec_load(2): not namespaced"},
    Capability{CAP_SYS_NICE, "sys_nice", "raise priorities, real-time scheduling"},
    Capability{CAP_SYS_RESOURCE, "sys_resource", "exceed resource limits and quotas"},
    Capability{CAP_SYS_TIME, "sys_time", "set the system clock: not namespaced"},
    Capability{CAP_SYS_TTY_CONFIG, "sys_tty_config", "vhangup(2), terminal configuration"},
    Capability{CAP_MKNOD, "mknod", "create device files: a disk, /dev/mem"},
    Capability{CAP_LEASE, "lease", "take leases on any file"},
    Capability{CAP_AUDIT_WRITE, "audit_write", "write records to the kernel's audit log"},
    Capability{CAP_AUDIT_CONTROL, "audit_control", "configure the kernel's auditing"},
    Capability{CAP_SETFCAP, "setfcap", "give files capabilities"},
    Capability{CAP_MAC_OVERRIDE, "mac_override", "override mandatory access control (Smack)"},
    Capability{CAP_MAC_ADMIN, "mac_admin", "configure mandatory access control"},
    Capability{CAP_SYSLOG, "syslog", "read the kernel log, and the kernel addresses in it"},
    Capability{CAP_WAKE_ALARM, "wake_alarm", "timers that wake the machine up"},
    Capability{CAP_BLOCK_SUSPEND, "block_suspend", "keep the machine from suspending"},
    Capability{CAP_AUDIT_READ, "audit_read", "read the audit log over netlink"},
    Capability{CAP_PERFMON, "perfmon", "performance monitoring, perf_event_open(2) (Linux 5.8)"},
    Capability{CAP_BPF, "bpf", "load BPF programs and maps (Linux 5.8)"},
    Capability{CAP_CHECKPOINT_RESTORE, "checkpoint_restore",
               "checkpoint and restore processes (Linux 5.9)"},
};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

// "CAP_Sys_Admin" -> "sys_admin": the table's spelling.
std::string normal(std::string_view name) {
    std::string low = lower(name);
    return low.starts_with("cap_") ? low.substr(4) : low;
}

bool is_all(std::string_view name) {
    return lower(name) == "all";
}

// Levenshtein distance: the edits that turn one word into the other.
size_t distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t replaced = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            diagonal = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, replaced});
        }
    }
    return row[b.size()];
}

// The number of `name`, or a UsageError for `option` with close matches.
int number_or_throw(std::string_view option, std::string_view name) {
    if (auto found = find(name)) return *found;
    std::string text = fmt::format("{} {}: no such capability", option, name);
    std::vector<std::string> near = close_matches(name);
    if (!near.empty()) {
        std::string list = near[0];
        for (size_t i = 1; i < near.size(); ++i)
            list += (i + 1 == near.size() ? " or " : ", ") + near[i];
        text += fmt::format("; did you mean {}?", list);
    }
    throw error::UsageError(text + " (names as in capabilities(7), with or without CAP_, or ALL)");
}

// The capabilities named in `names` (ALL aside).
Mask named(std::string_view option, const std::vector<std::string>& names) {
    Mask mask = 0;
    for (const std::string& name : names)
        if (!is_all(name)) mask |= bit(number_or_throw(option, name));
    return mask;
}

}  // namespace

std::span<const Capability> table() {
    return kTable;
}

Mask all() {
    Mask mask = 0;
    for (const Capability& c : kTable) mask |= bit(c.number);
    return mask;
}

Mask docker_default() {
    // moby's defaultCapabilities (oci/caps/defaults.go): what a process that
    // thinks it is root usually needs to start up (chown its files, drop to
    // another user, bind port 80, ping), and nothing that reaches the kernel
    // or the machine as a whole.
    return bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FSETID) | bit(CAP_FOWNER) |
           bit(CAP_MKNOD) | bit(CAP_NET_RAW) | bit(CAP_SETGID) | bit(CAP_SETUID) |
           bit(CAP_SETFCAP) | bit(CAP_SETPCAP) | bit(CAP_NET_BIND_SERVICE) | bit(CAP_SYS_CHROOT) |
           bit(CAP_KILL) | bit(CAP_AUDIT_WRITE);
}

std::optional<int> find(std::string_view name) {
    std::string wanted = normal(name);
    for (const Capability& c : kTable)
        if (wanted == c.name) return c.number;
    return std::nullopt;
}

std::string name_of(int capability) {
    for (const Capability& c : kTable)
        if (c.number == capability) return upper(c.name);
    return std::to_string(capability);
}

std::vector<std::string> close_matches(std::string_view name) {
    std::string wanted = normal(name);
    std::vector<std::pair<size_t, std::string>> scored;
    for (const Capability& c : kTable) {
        std::string_view candidate = c.name;
        size_t edits = distance(wanted, candidate);
        // A part of a name ("admin", "time") counts as close, if it is not tiny.
        bool part = wanted.size() >= 3 && candidate.find(wanted) != std::string_view::npos;
        if (edits <= 2 || part) scored.emplace_back(part ? 0 : edits, upper(candidate));
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> best;
    for (size_t i = 0; i < scored.size() && i < 4; ++i) best.push_back(scored[i].second);
    return best;
}

std::string names(Mask mask, std::string_view separator, std::string_view prefix) {
    std::string joined;
    for (int n = 0; n < 64; ++n) {
        if ((mask & bit(n)) == 0) continue;
        std::string name = n < static_cast<int>(kTable.size()) ? kTable[n].name : std::to_string(n);
        if (!joined.empty()) joined += separator;
        joined += fmt::format("{}{}", prefix, name);
    }
    return joined;
}

Mask resolve(Mask defaults, const std::vector<std::string>& add,
             const std::vector<std::string>& drop) {
    // Docker's order (moby's TweakCapabilities), which does not depend on
    // the order of the options: the drops first, then the adds. So
    // `--cap-drop ALL --cap-add NET_BIND_SERVICE` keeps exactly one, and
    // `--cap-add ALL --cap-drop SYS_ADMIN` keeps all but one.
    Mask dropped_by_name = named("--cap-drop", drop);
    bool drop_all = std::any_of(drop.begin(), drop.end(), is_all);
    bool add_all = std::any_of(add.begin(), add.end(), is_all);
    Mask kept = drop_all ? 0 : defaults & ~dropped_by_name;
    if (add_all) kept |= all() & ~dropped_by_name;
    return kept | named("--cap-add", add);
}

namespace {

// "CAP_SETGID and CAP_SETUID": the kernel's spelling, for messages.
std::string kernel_names(Mask mask, std::string_view separator) {
    std::string joined;
    for (int n = 0; n < 64; ++n)
        if ((mask & bit(n)) != 0)
            joined += (joined.empty() ? "CAP_" : std::string(separator) + "CAP_") + name_of(n);
    return joined;
}

}  // namespace

// --- the user -----------------------------------------------------------------

namespace {

// The largest uid or gid a process can have: (uid_t)-1 means "unchanged"
// to setresuid(2).
constexpr unsigned long kMaxId = 4294967294UL;

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint32_t> parse_id(std::string_view text) {
    unsigned long value = 0;
    if (!all_digits(text)) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > kMaxId)
        return std::nullopt;
    return static_cast<uint32_t>(value);
}

std::vector<std::string_view> split(std::string_view line, char separator) {
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (size_t end; (end = line.find(separator, start)) != std::string_view::npos; start = end + 1)
        fields.push_back(line.substr(start, end - start));
    fields.push_back(line.substr(start));
    return fields;
}

// One line of /etc/passwd (passwd(5)): name:password:UID:GID:GECOS:home:shell.
struct PasswdEntry {
    uint32_t uid, gid;
    std::string home;
};

// The first /etc/passwd or /etc/group line whose field `key_field` is
// `key`, split. Comments, NIS lines ("+", "-") and lines too short are skipped.
std::optional<std::vector<std::string_view>> find_line(std::string_view text, size_t key_field,
                                                       std::string_view key, size_t min_fields) {
    for (std::string_view line : split(text, '\n')) {
        if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
        std::vector<std::string_view> fields = split(line, ':');
        if (fields.size() >= min_fields && fields[key_field] == key) return fields;
    }
    return std::nullopt;
}

std::optional<PasswdEntry> passwd_entry(std::string_view passwd, size_t key_field,
                                        std::string_view key) {
    auto fields = find_line(passwd, key_field, key, 4);
    if (!fields) return std::nullopt;
    auto uid = parse_id((*fields)[2]), gid = parse_id((*fields)[3]);
    if (!uid || !gid) return std::nullopt;  // a broken line: as if it were not there
    return PasswdEntry{*uid, *gid, fields->size() > 5 ? std::string((*fields)[5]) : ""};
}

void check_not_out_of_range(std::string_view given, std::string_view id, const char* what) {
    if (all_digits(id) && !parse_id(id))
        throw error::UsageError(
            fmt::format("--user {}: {} is not a valid {} (0 to {})", given, id, what, kMaxId));
}

}  // namespace

User parse_user(std::string_view given, std::string_view passwd, std::string_view group) {
    User user;
    user.given = given;
    size_t colon = given.find(':');
    std::string_view who = given.substr(0, colon);
    if (who.empty())
        throw error::UsageError(
            fmt::format("--user {}: the user is empty: give a UID or a name", given));
    check_not_out_of_range(given, who, "UID");
    std::optional<PasswdEntry> entry;
    if (auto uid = parse_id(who)) {
        user.uid = *uid;
        entry = passwd_entry(passwd, 2, who);  // for its group and home, if listed
    } else {
        entry = passwd_entry(passwd, 0, who);
        if (!entry)
            throw error::UsageError(fmt::format(
                "--user {}: no user \"{}\" in the rootfs's /etc/passwd (a name is one of the "
                "container's users, not the host's; or give a number)",
                given, who));
        user.uid = entry->uid;
    }
    if (entry) user.home = entry->home;
    if (colon == std::string_view::npos) {
        // Docker takes GID 0 (the root group) for a uid /etc/passwd does not
        // list; the uid's own number gives the command no group's files.
        user.gid = entry ? entry->gid : user.uid;
        return user;
    }
    std::string_view wanted = given.substr(colon + 1);
    if (wanted.empty())
        throw error::UsageError(
            fmt::format("--user {}: the group after ':' is empty: give a GID or a name", given));
    check_not_out_of_range(given, wanted, "GID");
    if (auto gid = parse_id(wanted)) {
        user.gid = *gid;
        return user;
    }
    auto fields = find_line(group, 0, wanted, 3);  // group(5): name:password:GID:members
    std::optional<uint32_t> gid = fields ? parse_id((*fields)[2]) : std::nullopt;
    if (!gid)
        throw error::UsageError(fmt::format(
            "--user {}: no group \"{}\" in the rootfs's /etc/group (give a GID or one of the "
            "container's groups)",
            given, wanted));
    user.gid = *gid;
    return user;
}

User resolve_user(std::string_view given, const std::filesystem::path& rootfs) {
    // The container's own files, read inside the rootfs: a name means what
    // it means in there, and a symlink in there cannot point at the host's.
    fd::Fd root = inroot::open_directory(rootfs.string());
    auto read = [&](std::string_view path) -> std::string {
        if (!inroot::exists(root, path)) return "";
        try {
            return inroot::read_file(root, path, 4 << 20);
        } catch (const std::runtime_error& e) {
            throw error::UsageError(fmt::format("--user {}: {}", given, e.what()));
        }
    };
    return parse_user(given, read("/etc/passwd"), read("/etc/group"));
}

// --- the options --------------------------------------------------------------

namespace {

void add_options(CLI::App& app, spec::Spec& spec) {
    Settings& caps = spec.caps;
    app.add_option("--cap-add", caps.add,
                   "Let the container keep a capability it would not have (repeatable). NAME as\n"
                   "in capabilities(7), with or without CAP_, any case; ALL for every one.")
        ->type_name("NAME");
    app.add_option("--cap-drop", caps.drop,
                   "Take a capability away (repeatable; ALL for every one). As in Docker, drops\n"
                   "come first: --cap-drop ALL --cap-add NET_BIND_SERVICE keeps exactly one.\n"
                   "The default: Docker's 14 (CHOWN, DAC_OVERRIDE, ..., KILL, AUDIT_WRITE).")
        ->type_name("NAME");
    auto* forbid = app.add_flag_callback(
        "--no-new-privileges", [&caps] { caps.no_new_privs = true; },
        "No program the container runs can gain privileges, not even a setuid-root one\n"
        "(prctl PR_SET_NO_NEW_PRIVS). The default.");
    auto* allow = app.add_flag_callback(
        "--allow-new-privileges", [&caps] { caps.no_new_privs = false; },
        "Let setuid binaries and file capabilities work again: see how a user regains\n"
        "root through a setuid-root program.");
    forbid->excludes(allow);
    app.add_option_function<std::string>(
           "-u,--user",
           [&caps](const std::string& given) {
               if (given.empty()) throw error::UsageError("--user: the user is empty");
               caps.user_given = given;
           },
           "Run the command as this user: a number, or a name from the rootfs's\n"
           "/etc/passwd (not the host's). GID defaults to the user's group there, or to UID.\n"
           "Supplementary groups are cleared.")
        ->type_name("UID[:GID]");
}

void finish_options(spec::Spec& spec) {
    Settings& caps = spec.caps;
    caps.keep = resolve(docker_default(), caps.add, caps.drop);
    caps.asked = named("--cap-add", caps.add);
    if (!caps.user_given.empty()) caps.user = resolve_user(caps.user_given, spec.rootfs);
}

}  // namespace

const cli::Group options{"caps", add_options, finish_options};

// --- in the child ---------------------------------------------------------------

namespace {

// capget(2) and capset(2) have no glibc wrapper (libcap has them). Version
// 3 of the interface (Linux 2.6.26) carries 64 bits per set, in two
// 32-bit halves; pid 0 is the calling thread.
struct RawSets {
    Mask effective = 0, permitted = 0, inheritable = 0;
};

RawSets capget_self() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    check_syscall(::syscall(SYS_capget, &header, data), "capget(2)");
    auto join = [](uint32_t low, uint32_t high) { return Mask{low} | Mask{high} << 32; };
    return {join(data[0].effective, data[1].effective), join(data[0].permitted, data[1].permitted),
            join(data[0].inheritable, data[1].inheritable)};
}

void capset_self(const RawSets& sets, const std::string& what) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    for (int half = 0; half < 2; ++half) {
        int shift = 32 * half;
        data[half].effective = static_cast<uint32_t>(sets.effective >> shift);
        data[half].permitted = static_cast<uint32_t>(sets.permitted >> shift);
        data[half].inheritable = static_cast<uint32_t>(sets.inheritable >> shift);
    }
    check_syscall(::syscall(SYS_capset, &header, data), what);
}

// The five sets as /proc/self/status will show them, for --explain.
void explain_sets(std::string_view when) {
    if (!explain::enabled()) return;
    Sets s = current();
    explain::note(fmt::format(
        "{}: CapInh={:016x} CapPrm={:016x} CapEff={:016x} CapBnd={:016x} CapAmb={:016x}", when,
        s.inheritable, s.permitted, s.effective, s.bounding, s.ambient));
}

// "setpriv ... -- CMD": all of the drop (and the user switch) in one
// command line, as util-linux setpriv(1) takes it.
std::string setpriv_command(const Settings& settings, Mask keep) {
    std::string bounding = "-all";
    if (keep != 0) bounding += "," + names(keep, ",", "+");
    std::string line =
        fmt::format("setpriv --bounding-set {} --inh-caps -all --ambient-caps -all", bounding);
    if (settings.no_new_privs) line += " --no-new-privs";
    if (settings.user)
        line += fmt::format(" --clear-groups --regid {} --reuid {}", settings.user->gid,
                            settings.user->uid);
    return line + " -- CMD";
}

}  // namespace

int last_cap() {
    // proc(5): /proc/sys/kernel/cap_last_cap (Linux 3.2). Without a /proc,
    // ask the kernel itself: PR_CAPBSET_READ fails with EINVAL past the last.
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int last = -1;
    if (in >> last && last >= 0 && last < 64) return last;
    last = 0;
    while (last < 63 && ::prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
    return last;
}

Sets current() {
    RawSets raw = capget_self();
    Sets sets{raw.effective, raw.permitted, raw.inheritable, 0, 0};
    for (int cap = 0, last = last_cap(); cap <= last; ++cap) {
        std::string name = name_of(cap);
        if (check_syscall(::prctl(PR_CAPBSET_READ, cap, 0, 0, 0),
                          fmt::format("prctl(PR_CAPBSET_READ, CAP_{})", name)) == 1)
            sets.bounding |= bit(cap);
        // PR_CAP_AMBIENT is Linux 4.3.
        if (check_syscall(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0),
                          fmt::format("prctl(PR_CAP_AMBIENT_IS_SET, CAP_{})", name)) == 1)
            sets.ambient |= bit(cap);
    }
    return sets;
}

void drop_bounding(Mask keep) {
    Mask dropped = current().bounding & ~keep;
    explain::step({fmt::format("prctl(PR_CAPBSET_DROP, CAP_...) x{}", std::popcount(dropped)),
                   dropped == 0 ? "" : "capsh --drop=" + names(dropped, ",", "cap_"),
                   "prctl(2), capabilities(7) \"Capability bounding set\""});
    // Root's permitted set after execve(2) is its bounding set: this is the
    // drop that lasts. It needs CAP_SETPCAP, which capset(2) below may drop.
    for (int cap = 0, last = last_cap(); cap <= last; ++cap)
        if ((dropped & bit(cap)) != 0)
            check_syscall(::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0),
                          fmt::format("prctl(PR_CAPBSET_DROP, CAP_{})", name_of(cap)));
}

void clear_ambient() {
    explain::step({"prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)", "capsh --noamb",
                   "prctl(2), capabilities(7) \"Ambient capability set\""});
    // Ambient capabilities survive the execve(2) of a plain program, even
    // for a non-root user. (Emptying inheritable below lowers them too, as
    // no capability may be ambient without being inheritable; clearing
    // them by name says what is meant and does not depend on that rule.)
    check_syscall(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
                  "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
}

void set_process_sets(Mask keep) {
    std::string call = fmt::format("capset(permitted=effective={:#x}, inheritable=0)", keep);
    explain::step(
        {call, fmt::format("capsh --caps={}", keep == 0 ? "'='" : names(keep, ",", "cap_") + "=ep"),
         "capset(2), capabilities(7)"});
    // Inheritable empty: no file with inheritable capabilities can take any
    // of ours through an execve(2). A set can only shrink here: capset(2)
    // refuses (EPERM) to add to permitted what was not there.
    capset_self({keep, keep, 0}, call);
}

void drop(const Settings& settings) {
    Sets now = current();
    // What we can keep is what we have: on this machine, for one, the
    // runtime's own bounding set lacks CAP_SYS_RESOURCE.
    Mask held = now.permitted & now.bounding;
    if (Mask missing = settings.asked & ~held; missing != 0)
        throw std::runtime_error(fmt::format(
            "--cap-add {}: the runtime itself does not have it (see CapPrm and CapBnd in its "
            "/proc/self/status), so the container cannot keep it",
            kernel_names(missing, ", ")));
    Mask keep = settings.keep & held;
    if (Mask lacking = settings.keep & ~held; lacking != 0)
        explain::note("not kept, as the runtime lacks them: " + kernel_names(lacking, ", "));
    explain::note("all of it in one command: " + setpriv_command(settings, keep));
    // EXERCISE 09-caps: take away every capability not in `keep`, from every set an
    //   execve(2) reads, in an order the kernel accepts; --user must still work after it.
    // TOOLS: drop_bounding(mask): prctl(PR_CAPBSET_DROP) of each capability not in mask.
    // TOOLS: clear_ambient(): prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL).
    // TOOLS: set_process_sets(mask): capset(2), permitted = effective = mask, inheritable 0.
    // TOOLS: settings.user (the --user to switch to later, if any), bit(CAP_SETUID), held.
    // QUESTION: The container's command is root. What does its first execve(2) put in
    //   permitted, whatever permitted was before (capabilities(7), "Transformation of
    //   capabilities during execve()")?
    // QUESTION: Which capability does dropping from the bounding set need, and is it still
    //   there with --cap-drop ALL once capset(2) has run?
    // QUESTION: switch_user() runs after this, and calls setgroups(2), setresgid(2),
    //   setresuid(2). What do they need, with --cap-drop ALL?
    // HINT: Three sets are read by execve(2): bounding, inheritable, ambient. Clearing
    //   effective and permitted only is undone by root's next execve.
    // HINT: PR_CAPBSET_DROP needs CAP_SETPCAP in effective: drop the bounding set first.
    // HINT: With a user to switch to, keep CAP_SETUID and CAP_SETGID in permitted and
    //   effective (not in the bounding set) if the runtime holds them: switch_user()
    //   drops them once it has switched.
    // switch_user() needs these two; it drops them again once it has switched.
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    if (until_switch != 0)
        explain::note(fmt::format("{} stay until the switch to uid {}, which needs them",
                                  kernel_names(until_switch, " and "), settings.user->uid));
    drop_bounding(keep);
    clear_ambient();
    set_process_sets(keep | until_switch);
    // END EXERCISE
    explain_sets("the five sets now");
}

void set_no_new_privs() {
    explain::step({"prctl(PR_SET_NO_NEW_PRIVS, 1)", "setpriv --no-new-privs",
                   "prctl(2), no_new_privs: Documentation/userspace-api/no_new_privs.rst"});
    // Linux 3.5. From now on execve(2) ignores setuid and setgid bits and
    // file capabilities, for us and every process we start; it can never
    // be unset. (seccomp(2) and Landlock need it from a process without
    // CAP_SYS_ADMIN: chapter 10.)
    check_syscall(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS, 1)");
}

void switch_user(const User& user, Mask keep) {
    // prctl(2): a change of effective uid or gid clears the death signal.
    int death_signal = 0;
    check_syscall(::prctl(PR_GET_PDEATHSIG, &death_signal, 0, 0, 0), "prctl(PR_GET_PDEATHSIG)");

    // Groups first: once the uid is not 0, CAP_SETGID is gone.
    explain::step({"setgroups(0, NULL)", "setpriv --clear-groups", "setgroups(2)"});
    check_syscall(::setgroups(0, nullptr), "setgroups(0, NULL)");
    std::string call = fmt::format("setresgid({0}, {0}, {0})", user.gid);
    explain::step({call, fmt::format("setpriv --regid {}", user.gid), "setresgid(2)"});
    check_syscall(::setresgid(user.gid, user.gid, user.gid), call);
    call = fmt::format("setresuid({0}, {0}, {0})", user.uid);
    explain::step({call, fmt::format("setpriv --reuid {}", user.uid), "setresuid(2)"});
    // capabilities(7), "Effect of user ID changes on capabilities": when
    // real, effective and saved uid all leave 0, the kernel empties
    // permitted, effective and ambient; bounding and inheritable stay.
    check_syscall(::setresuid(user.uid, user.uid, user.uid), call);

    // Whatever is left beyond `keep` (CAP_SETUID, CAP_SETGID kept for the
    // switch, when the user is root) goes now.
    RawSets left = capget_self();
    if (left.permitted != (left.permitted & keep) || left.effective != (left.permitted & keep))
        set_process_sets(left.permitted & keep);
    explain_sets(fmt::format("as uid {}", user.uid));
    if (death_signal != 0) process::arm_death_signal();
}

}  // namespace caps
