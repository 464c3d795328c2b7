#include "state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>

#include "error.hpp"
#include "explain.hpp"
#include "host.hpp"
#include "say.hpp"
#include "seccomp.hpp"
#include "spec.hpp"
#include "uts.hpp"

namespace state {
namespace fs = std::filesystem;
using error::check_syscall;
using error::UsageError;

namespace {

constexpr std::string_view kKind = "state-dir";
constexpr size_t kMaxName = 63;
constexpr size_t kMaxState = 1 << 20;  // a state file is a few KB; refuse a runaway one

// What the runtime itself keeps in the state directory (host.hpp, net.cpp):
// a container called "runs" would take the Ledger's journals for its own.
constexpr std::array<std::string_view, 5> kReserved{"lock", "runs", "kept", "net", "seccomp"};

// --- the file's text ---------------------------------------------------------

// "key value value..." with every value percent-encoded (host::escape).
using Fields = std::map<std::string, std::vector<std::vector<std::string>>, std::less<>>;

class Writer {
  public:
    void line(std::string_view key, const std::vector<std::string>& values) {
        text_ += key;
        for (const std::string& value : values) text_ += ' ' + host::escape(value);
        text_ += '\n';
    }
    void line(std::string_view key, const std::string& value) { line(key, std::vector{value}); }
    void each(std::string_view key, const std::vector<std::string>& values) {
        for (const std::string& value : values) line(key, value);
    }
    const std::string& text() const { return text_; }

  private:
    std::string text_ = "# a container's state, written by unshared: see common/state.hpp\n";
};

Fields parse_fields(std::string_view text, const fs::path& path) {
    Fields fields;
    for (size_t end; !text.empty(); text.remove_prefix(end + 1)) {
        end = text.find('\n');
        if (end == std::string_view::npos) throw UsageError(path.string() + ": a line is cut off");
        std::string_view line = text.substr(0, end);
        if (line.empty() || line.front() == '#') continue;
        std::vector<std::string> words;
        for (size_t at = 0; at <= line.size();) {
            size_t space = std::min(line.find(' ', at), line.size());
            std::optional<std::string> word = host::unescape(line.substr(at, space - at));
            if (!word)
                throw UsageError(
                    fmt::format("{}: not a state line: {:?}", path.string(), std::string(line)));
            words.push_back(std::move(*word));
            at = space + 1;
        }
        std::string key = std::move(words.front());
        words.erase(words.begin());
        fields[key].push_back(std::move(words));
    }
    return fields;
}

// The first value of `key`, "" without one.
std::string first(const Fields& fields, std::string_view key) {
    auto it = fields.find(key);
    return it == fields.end() || it->second.front().empty() ? "" : it->second.front().front();
}

// The first value of every `key` line.
std::vector<std::string> every(const Fields& fields, std::string_view key) {
    std::vector<std::string> values;
    if (auto it = fields.find(key); it != fields.end())
        for (const auto& words : it->second) values.push_back(words.empty() ? "" : words.front());
    return values;
}

// Every value of the one `key` line.
std::vector<std::string> words_of(const Fields& fields, std::string_view key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::vector<std::string>{} : it->second.front();
}

Saved saved_from(const Fields& fields) {
    Saved saved;
    saved.name = first(fields, "name");
    saved.status = first(fields, "status");
    saved.owner = first(fields, "owner");
    saved.created = first(fields, "created");
    saved.rootfs = first(fields, "rootfs");
    saved.seccomp = first(fields, "seccomp");
    std::string pid = first(fields, "pid");
    std::from_chars(pid.data(), pid.data() + pid.size(), saved.pid);
    saved.start_time = first(fields, "start-time");
    saved.command = words_of(fields, "command");
    saved.cgroups = every(fields, "cgroup");
    saved.env = every(fields, "env");
    saved.landlock_writable = every(fields, "landlock-writable");
    saved.ulimits = every(fields, "ulimit");
    saved.caps = first(fields, "caps");
    std::vector<std::string> user = words_of(fields, "user");
    if (!user.empty()) saved.user = user[0];
    if (user.size() > 1) saved.user_given = user[1];
    if (user.size() > 2) saved.user_home = user[2];
    saved.no_new_privs = first(fields, "no-new-privileges") != "no";
    saved.landlock = first(fields, "landlock") != "off";
    saved.userns = first(fields, "userns") == "private";
    std::vector<std::string> apparmor = words_of(fields, "apparmor");
    if (!apparmor.empty()) saved.apparmor = apparmor[0];
    saved.apparmor_optional = apparmor.size() > 1 && apparmor[1] == "if-loaded";
    return saved;
}

// --- files, relative to directory descriptors --------------------------------

fd::Fd open_dir(int at, const std::string& name, const fs::path& shown) {
    return fd::Fd{
        check_syscall(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                      fmt::format("open(\"{}\", O_DIRECTORY|O_NOFOLLOW)", shown.string()))};
}

std::string read_state(int dir, const fs::path& shown) {
    fd::Fd file{check_syscall(::openat(dir, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC),
                              fmt::format("open(\"{}\")", (shown / "state").string()))};
    std::string text;
    char buffer[8192];
    for (ssize_t got; (got = ::read(file.get(), buffer, sizeof buffer)) != 0;) {
        if (got < 0 && errno == EINTR) continue;
        check_syscall(got, fmt::format("read(\"{}\")", (shown / "state").string()));
        text.append(buffer, static_cast<size_t>(got));
        if (text.size() > kMaxState)
            throw UsageError((shown / "state").string() + ": larger than a state file can be");
    }
    return text;
}

// Writes `text` as dir/state in one step for its readers: a new file,
// then rename(2) over the old one, which replaces it atomically.
void write_state(int dir, const std::string& text, const fs::path& shown) {
    std::string what = fmt::format("write(\"{}\")", (shown / "state").string());
    fd::Fd file{check_syscall(
        ::openat(dir, "state.new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600),
        fmt::format("open(\"{}\")", (shown / "state.new").string()))};
    for (std::string_view rest = text; !rest.empty();) {
        ssize_t put = ::write(file.get(), rest.data(), rest.size());
        if (put < 0 && errno == EINTR) continue;
        check_syscall(put, what);
        rest.remove_prefix(static_cast<size_t>(put));
    }
    check_syscall(::renameat(dir, "state.new", dir, "state"),
                  fmt::format("rename(\"{}\", \"state\")", (shown / "state.new").string()));
}

// Removes a container's directory and the files in it (it holds files only).
void remove_dir(int parent, const std::string& name, const fs::path& shown) {
    int raw = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0 && errno == ENOENT) return;
    fd::Fd dir{check_syscall(raw, fmt::format("open(\"{}\")", shown.string()))};
    for (const char* file : {"state", "state.new"})
        if (::unlinkat(dir.get(), file, 0) == -1 && errno != ENOENT)
            throw error::syscall_error(errno,
                                       fmt::format("unlink(\"{}\")", (shown / file).string()));
    explain::step({fmt::format("rmdir(\"{}\")", shown.string()),
                   fmt::format("rm -r {}", explain::shell_quote(shown.string())), "rmdir(2)"});
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == -1 && errno != ENOENT)
        throw error::syscall_error(errno, fmt::format("rmdir(\"{}\")", shown.string()));
}

// --- the Ledger's undo -------------------------------------------------------

// The journalled arg: "OWNER:PATH" (a journal's name has no ':').
std::string journal_arg(const std::string& owner, const fs::path& path) {
    return owner + ":" + path.string();
}

std::string temporary_name(const std::string& name, const std::string& owner) {
    return "." + name + "." + owner;
}

// Removes PATH only if its state names OWNER: a run that lost the race for
// a name journalled it too, and must leave the winner's directory alone.
void undo_dir(std::string_view arg) {
    size_t colon = arg.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("state-dir: no owner in the arg");
    std::string owner{arg.substr(0, colon)};
    fs::path path{arg.substr(colon + 1)};
    int raw = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0 && errno == ENOENT) return;
    fd::Fd parent{check_syscall(raw, fmt::format("open(\"{}\")", path.parent_path().string()))};
    std::string name = path.filename();
    remove_dir(parent.get(), temporary_name(name, owner),
               path.parent_path() / temporary_name(name, owner));
    int dir = ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0 && errno == ENOENT) return;
    fd::Fd held{check_syscall(dir, fmt::format("open(\"{}\")", path.string()))};
    std::string owner_now;
    try {
        owner_now = first(parse_fields(read_state(held.get(), path), path), "owner");
    } catch (const std::system_error& e) {
        if (e.code().value() != ENOENT) throw;
    }
    if (owner_now == owner) remove_dir(parent.get(), name, path);
}

const bool kRegistered = [] {
    host::register_kind(kKind, undo_dir);
    return true;
}();

// --- names -------------------------------------------------------------------

std::string fresh_name() {
    return uts::generated_hostname();  // "unshared-3fa9": short, and a valid name
}

std::string now_utc() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// Who holds `name` now, for the message of a clash.
std::string holder(int state_dir, const std::string& name, const fs::path& path) {
    try {
        fd::Fd dir = open_dir(state_dir, name, path);
        Saved saved = saved_from(parse_fields(read_state(dir.get(), path), path));
        if (saved.status != "running") return "a container being created";
        return fmt::format("a running container (pid {})", saved.pid);
    } catch (const std::exception&) {
        return "a container";
    }
}

// --- the option group ---------------------------------------------------------

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option("--name", spec.state.name,
                   "The container's name, for `ps` and `exec` (default: its hostname, or a\n"
                   "generated one if that is taken). State: STATE-DIR/NAME/state.")
        ->type_name("NAME");
}

void finish_options(spec::Spec& spec) {
    Settings& settings = spec.state;
    if (settings.name.empty()) {
        settings.generated = true;
        settings.name = name_problem(spec.uts.hostname).empty() ? spec.uts.hostname : fresh_name();
    }
    if (std::string why = name_problem(settings.name); !why.empty())
        throw UsageError("--name " + settings.name + ": " + why);
}

// The pid of a pidfd's process is checked by its start time; -1 if it ended.
fd::Fd open_pidfd(const Saved& saved) {
    if (saved.pid <= 0) return {};
    int raw = static_cast<int>(::syscall(SYS_pidfd_open, saved.pid, 0));
    if (raw < 0) {
        if (errno == ESRCH) return {};
        throw error::syscall_error(errno, fmt::format("pidfd_open({})", saved.pid));
    }
    fd::Fd pidfd{raw};
    // Read after the pidfd is open: if the start time matches now, the
    // process the pidfd holds is the container's (see state.hpp).
    std::optional<std::string> started = host::start_time(saved.pid);
    if (!started || *started != saved.start_time) return {};
    // A PID 1 that has ended but is not reaped yet (a zombie: its runtime
    // was just killed) still has its pid and start time, but no namespaces
    // any more: /proc/PID/ns/ is empty (proc(5)).
    struct stat st {};
    if (::stat(fmt::format("/proc/{}/ns/mnt", saved.pid).c_str(), &st) == -1) return {};
    return pidfd;
}

}  // namespace

const cli::Group options{"state", add_options, finish_options};

std::string name_problem(const std::string& name) {
    if (name.empty()) return "the name is empty";
    if (name.size() > kMaxName) return fmt::format("longer than {} bytes", kMaxName);
    auto ok = [](char c, bool leading) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (!leading && (c == '_' || c == '.' || c == '-'));
    };
    for (size_t i = 0; i < name.size(); ++i)
        if (!ok(name[i], i == 0))
            return "a name is letters, digits, '_', '.' and '-', and starts with a letter or digit";
    if (std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end())
        return "the state directory uses that name itself";
    return "";
}

Dir::Dir(fd::Fd dir, fs::path path, std::string name, std::string owner)
    : dir_(std::move(dir)),
      path_(std::move(path)),
      name_(std::move(name)),
      owner_(std::move(owner)) {}

Dir claim(host::Ledger& host, const fs::path& state_dir, Settings& settings) {
    fd::Fd state = open_dir(AT_FDCWD, state_dir.string(), state_dir);
    const std::string& owner = host.journal_name();
    for (int attempt = 0;; ++attempt) {
        fs::path path = state_dir / settings.name;
        std::string temporary = temporary_name(settings.name, owner);
        host.record(kKind, journal_arg(owner, path));  // before it exists (host.hpp)
        explain::step({fmt::format("mkdir(\"{}\"); rename to \"{}\" (RENAME_NOREPLACE)",
                                   (state_dir / temporary).string(), settings.name),
                       fmt::format("mkdir -m 700 {}", explain::shell_quote(path.string())),
                       "mkdir(2), rename(2)"});
        check_syscall(::mkdirat(state.get(), temporary.c_str(), 0700),
                      fmt::format("mkdir(\"{}\")", (state_dir / temporary).string()));
        {
            fd::Fd made = open_dir(state.get(), temporary, state_dir / temporary);
            Writer text;
            text.line("name", settings.name);
            text.line("status", std::string("creating"));
            text.line("owner", owner);
            write_state(made.get(), text.text(), state_dir / temporary);
        }
        // renameat2(2) RENAME_NOREPLACE: EEXIST instead of replacing NAME.
        if (::renameat2(state.get(), temporary.c_str(), state.get(), settings.name.c_str(),
                        RENAME_NOREPLACE) == 0)
            return Dir{open_dir(state.get(), settings.name, path), path, settings.name, owner};
        int err = errno;
        remove_dir(state.get(), temporary, state_dir / temporary);
        if (err != EEXIST && err != ENOTEMPTY)
            throw error::syscall_error(
                err, fmt::format("rename(\"{}\", \"{}\")", temporary, settings.name));
        if (!settings.generated || attempt == 8)
            throw UsageError(fmt::format(
                "--name {}: the name is in use by {}; pick another (see `{} ps`)", settings.name,
                holder(state.get(), settings.name, path), program_invocation_short_name));
        settings.name = fresh_name();
    }
}

void Dir::save(const spec::Spec& spec, pid_t init, const std::vector<std::string>& cgroups) {
    std::optional<std::string> started = host::start_time(init);
    if (!started) throw std::runtime_error(fmt::format("the container's PID 1 ({}) is gone", init));
    Writer text;
    text.line("name", name_);
    text.line("status", std::string("running"));
    text.line("owner", owner_);
    text.line("pid", std::to_string(init));
    text.line("start-time", *started);
    text.line("created", now_utc());
    text.line("command", spec.command.argv);
    text.line("rootfs", spec.rootfs.string());
    text.each("cgroup", cgroups);
    text.each("env", spec.command.env);
    text.line("caps", std::vector<std::string>{fmt::format("{:#x}", spec.caps.keep),
                                               caps::names(spec.caps.keep, ",")});
    text.line("no-new-privileges", std::string(spec.caps.no_new_privs ? "yes" : "no"));
    if (spec.caps.user)
        text.line("user", std::vector<std::string>{
                              fmt::format("{}:{}", spec.caps.user->uid, spec.caps.user->gid),
                              spec.caps.user->given, spec.caps.user->home});
    std::string seccomp = spec.seccomp.choice;
    if (seccomp != "default" && seccomp != "unconfined") seccomp = fs::absolute(seccomp).string();
    text.line("seccomp", seccomp);
    for (const rlimits::Limit& limit : spec.rlimits.limits)
        text.line("ulimit", rlimits::format(limit));
    text.line("landlock", std::string(spec.landlock.enabled ? "on" : "off"));
    text.each("landlock-writable", spec.landlock.writable);
    text.line("apparmor",
              std::vector<std::string>{spec.apparmor.profile,
                                       spec.apparmor.optional ? "if-loaded" : "required"});
    text.line("userns", std::string(spec.user.enabled ? "private" : "host"));
    explain::step({fmt::format("write(\"{}\")", (path_ / "state").string()),
                   fmt::format("cat > {}   (pid {}, the resolved spec)",
                               explain::shell_quote((path_ / "state").string()), init),
                   "rename(2)"});
    write_state(dir_.get(), text.text(), path_);
}

std::vector<Saved> list(const fs::path& state_dir) {
    std::vector<Saved> found;
    int raw = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0 && errno == ENOENT) return found;  // no container ever ran here
    fd::Fd state{check_syscall(raw, fmt::format("open(\"{}\")", state_dir.string()))};
    std::unique_ptr<DIR, int (*)(DIR*)> stream{::fdopendir(::dup(state.get())), ::closedir};
    if (!stream)
        throw error::syscall_error(errno, fmt::format("opendir(\"{}\")", state_dir.string()));
    while (const dirent* entry = ::readdir(stream.get())) {
        std::string name = entry->d_name;
        if (!name_problem(name).empty()) continue;  // ".", "..", a temporary, our own files
        fs::path path = state_dir / name;
        try {
            fd::Fd dir = open_dir(state.get(), name, path);
            found.push_back(saved_from(parse_fields(read_state(dir.get(), path), path)));
        } catch (const std::exception&) {
            Saved unreadable;
            unreadable.name = name;
            unreadable.status = "unreadable";
            found.push_back(std::move(unreadable));
        }
    }
    std::sort(found.begin(), found.end(),
              [](const Saved& a, const Saved& b) { return a.name < b.name; });
    return found;
}

bool alive(const Saved& saved) {
    return open_pidfd(saved).valid();
}

Running open(const fs::path& state_dir, const std::string& name) {
    if (std::string why = name_problem(name); !why.empty())
        throw UsageError(fmt::format("{}: {}", name, why));
    fs::path path = state_dir / name;
    int raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0 && errno == ENOENT)
        throw UsageError(fmt::format("no container called {} (see `{} ps`)", name,
                                     program_invocation_short_name));
    fd::Fd dir{check_syscall(raw, fmt::format("open(\"{}\")", path.string()))};
    explain::step({fmt::format("read(\"{}\")", (path / "state").string()),
                   fmt::format("cat {}", explain::shell_quote((path / "state").string())),
                   "read(2)"});
    Running running;
    running.saved = saved_from(parse_fields(read_state(dir.get(), path), path));
    if (running.saved.status != "running")
        throw UsageError(fmt::format(
            "container {} is not running yet: it is being set up, or its runtime was killed "
            "during the set-up (the next run, or --cleanup, removes what it left)",
            name));
    explain::step(
        {fmt::format("pidfd_open({}, 0)", running.saved.pid),
         fmt::format("(the pid, checked against its start time {})", running.saved.start_time),
         "pidfd_open(2)"});
    running.pidfd = open_pidfd(running.saved);
    if (!running.pidfd)
        throw UsageError(fmt::format("container {} is not running: its PID 1 ({}) has ended", name,
                                     running.saved.pid));
    try {
        running.joined = ns::differing_from_self(running.saved.pid);
    } catch (const std::system_error& e) {
        if (e.code().value() != ENOENT) throw;  // it ended after the check above
        throw UsageError(fmt::format("container {} is not running: its PID 1 ({}) has ended", name,
                                     running.saved.pid));
    }
    return running;
}

int print_list(const fs::path& state_dir) {
    std::string out = fmt::format("{:<20} {:>7}  {:<8} {:<20}  {}\n", "NAME", "PID", "STATUS",
                                  "CREATED", "COMMAND");
    for (const Saved& saved : list(state_dir)) {
        std::string status = saved.status;
        if (status == "running" && !alive(saved)) status = "ended";
        std::string command;
        for (const std::string& word : saved.command)
            command += (command.empty() ? "" : " ") + explain::shell_quote(word);
        out += fmt::format("{:<20} {:>7}  {:<8} {:<20}  {}\n", saved.name,
                           saved.pid > 0 ? std::to_string(saved.pid) : "-", status, saved.created,
                           command);
    }
    say::write_best_effort(STDOUT_FILENO, out, 1000);
    return 0;
}

void fill_spec(const Saved& saved, spec::Spec& spec) {
    auto bad = [&](std::string_view what) {
        return UsageError(
            fmt::format("container {}: its state has a bad {} line", saved.name, what));
    };
    uint64_t keep = 0;
    auto [end, ec] = std::from_chars(saved.caps.data() + std::min<size_t>(2, saved.caps.size()),
                                     saved.caps.data() + saved.caps.size(), keep, 16);
    if (saved.caps.rfind("0x", 0) != 0 || ec != std::errc{}) throw bad("caps");
    spec.caps.keep = keep;
    spec.caps.no_new_privs = saved.no_new_privs;
    if (!saved.user.empty()) {
        caps::User user;
        if (std::sscanf(saved.user.c_str(), "%u:%u", &user.uid, &user.gid) != 2) throw bad("user");
        user.given = saved.user_given;
        user.home = saved.user_home;
        spec.caps.user = user;
    }
    spec.seccomp = seccomp::settings_for(saved.seccomp.empty() ? "default" : saved.seccomp);
    spec.seccomp.state_dir = spec.host.state_dir;  // the cache of compiled programs
    spec.rlimits.limits.clear();
    for (const std::string& limit : saved.ulimits)
        spec.rlimits.limits.push_back(rlimits::parse(limit));
    spec.landlock.enabled = saved.landlock;
    spec.landlock.writable = saved.landlock_writable;
    spec.user.enabled = saved.userns;
    spec.apparmor.given = saved.apparmor.empty() ? "unconfined" : saved.apparmor;
    spec.apparmor.profile = saved.apparmor;
    spec.apparmor.optional = saved.apparmor_optional;
    if (!saved.apparmor.empty())
        spec.apparmor.notice = fmt::format(
            "apparmor: profile {} is not loaded: exec runs without it, as the container does",
            saved.apparmor);
    spec.command.env = saved.env;
    spec.rootfs = saved.rootfs;
}

}  // namespace state
