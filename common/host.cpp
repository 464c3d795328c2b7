#include "host.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

#include <CLI/CLI.hpp>

#include "error.hpp"
#include "explain.hpp"
#include "say.hpp"
#include "spec.hpp"

namespace host {

using error::check_syscall;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".journal";

// --- the registry: kind name -> undo ------------------------------------

std::map<std::string, Undo, std::less<>>& registry() {
    static std::map<std::string, Undo, std::less<>> kinds;
    return kinds;
}

Undo undo_of(std::string_view kind) {
    auto it = registry().find(kind);
    return it == registry().end() ? nullptr : it->second;
}

bool is_kind_name(std::string_view kind) {
    auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    };
    return !kind.empty() && kind.size() <= 64 && std::all_of(kind.begin(), kind.end(), allowed);
}

bool is_journal_name(std::string_view name) {
    return name.size() > kSuffix.size() && name.ends_with(kSuffix) && name.front() != '.' &&
           name.find('/') == std::string_view::npos;
}

// --- messages --------------------------------------------------------------

// One line on stderr. Best effort and never throws: it runs in destructors,
// and a closed or full stderr must not turn a cleanup into a crash.
void say(const std::string& line) noexcept {
    try {
        ::say::error(program_invocation_short_name, line);  // waits at most 200 ms for room
    } catch (...) {
    }
}

std::string shown(const fs::path& path) {
    return path.string();
}

// --- files -----------------------------------------------------------------

// Refuses a state directory others could write into: replay deletes what a
// journal names, so a journal someone else can edit makes root delete for them.
void check_private(const fd::Fd& dir, const fs::path& path) {
    struct stat st {};
    check_syscall(::fstat(dir.get(), &st), fmt::format("fstat(\"{}\")", shown(path)));
    if (st.st_uid == ::geteuid() && (st.st_mode & 022) == 0) return;
    throw std::runtime_error(
        fmt::format("state directory {}: must belong to uid {} and be writable by it alone "
                    "(owner {}, mode {:o})",
                    shown(path), ::geteuid(), st.st_uid, st.st_mode & 07777));
}

// mkdirat(2) (0700; an existing one is fine), then open it without following
// a symlink in its place (O_NOFOLLOW).
fd::Fd open_private_dir(int at, const std::string& name, const fs::path& path) {
    if (::mkdirat(at, name.c_str(), 0700) == -1 && errno != EEXIST)
        throw error::syscall_error(errno, fmt::format("mkdir(\"{}\")", shown(path)));
    fd::Fd dir{
        check_syscall(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                      fmt::format("open(\"{}\", O_DIRECTORY|O_NOFOLLOW)", shown(path)))};
    check_private(dir, path);
    return dir;
}

}  // namespace

// 0711: others may pass through, never list or write. From 07 on the
// container's root is another uid on the host (100000, say), and its set-up
// binds its /etc/hosts from <state>/net/leases/ADDRESS/ (06-net): a path it
// can walk only if each directory on the way lets others search it.
void search_only_for_others(const fd::Fd& dir, const fs::path& path) {
    check_syscall(::fchmod(dir.get(), 0711), fmt::format("chmod 711 \"{}\"", shown(path)));
}

namespace {

StateDir open_state(const fs::path& path) {
    StateDir state;
    state.path = path;
    state.dir = open_private_dir(AT_FDCWD, path.string(), path);
    search_only_for_others(state.dir, path);
    state.runs = open_private_dir(state.dir.get(), "runs", path / "runs");
    state.kept = open_private_dir(state.dir.get(), "kept", path / "kept");
    return state;
}

}  // namespace

fd::Fd open_private_subdir(const fs::path& state_dir, const std::string& name) {
    fd::Fd dir = open_private_dir(AT_FDCWD, state_dir.string(), state_dir);
    search_only_for_others(dir, state_dir);
    return open_private_dir(dir.get(), name, state_dir / name);
}

namespace {

// Holds flock(2) LOCK_EX on <state>/lock while it lives: every decision that
// looks at more than one journal is made under it (see the callers).
class StateLock {
  public:
    explicit StateLock(const StateDir& state) {
        fs::path path = state.path / "lock";
        fd_ = fd::Fd{check_syscall(
            ::openat(state.dir.get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600),
            fmt::format("open(\"{}\")", shown(path)))};
        while (::flock(fd_.get(), LOCK_EX) == -1) {
            if (errno != EINTR)
                throw error::syscall_error(errno,
                                           fmt::format("flock(\"{}\", LOCK_EX)", shown(path)));
        }
    }

  private:
    fd::Fd fd_;  // closing it releases the lock
};

// flock(2) with LOCK_NB: true if taken, false if someone else holds it.
bool try_lock(const fd::Fd& file, int operation, const fs::path& path) {
    if (::flock(file.get(), operation | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    throw error::syscall_error(errno, fmt::format("flock(\"{}\", LOCK_NB)", shown(path)));
}

// An existing journal, or an invalid Fd if it is gone (ENOENT).
fd::Fd open_journal(const fd::Fd& dir, const std::string& name, const fs::path& path, int flags) {
    int raw = ::openat(dir.get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
    if (raw == -1 && errno == ENOENT) return fd::Fd{};
    return fd::Fd{check_syscall(raw, fmt::format("open(\"{}\")", shown(path)))};
}

std::string read_all(const fd::Fd& file, const fs::path& path) {
    std::string text;
    char buffer[4096];
    for (off_t at = 0;;) {
        ssize_t n = ::pread(file.get(), buffer, sizeof buffer, at);
        if (n == -1 && errno == EINTR) continue;
        check_syscall(n, fmt::format("read(\"{}\")", shown(path)));
        if (n == 0) return text;
        text.append(buffer, static_cast<size_t>(n));
        at += n;
    }
}

void write_all(const fd::Fd& file, std::string_view text, const fs::path& path) {
    while (!text.empty()) {
        ssize_t n = ::write(file.get(), text.data(), text.size());
        if (n == -1 && errno == EINTR) continue;
        check_syscall(n, fmt::format("write(\"{}\")", shown(path)));
        text.remove_prefix(static_cast<size_t>(n));
    }
}

// The names of the journals in a directory, sorted.
std::vector<std::string> list_journals(const fd::Fd& dir, const fs::path& path) {
    // fdopendir(3) takes over the descriptor: give it a fresh one of its own.
    int raw = check_syscall(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                            fmt::format("open(\"{}\")", shown(path)));
    std::unique_ptr<DIR, int (*)(DIR*)> stream{::fdopendir(raw), ::closedir};
    if (!stream) {
        int err = errno;
        ::close(raw);
        throw error::syscall_error(err, fmt::format("fdopendir(\"{}\")", shown(path)));
    }
    std::vector<std::string> names;
    errno = 0;  // readdir(3): NULL and an unchanged errno mean the end
    while (const dirent* entry = ::readdir(stream.get())) {
        if (is_journal_name(entry->d_name)) names.emplace_back(entry->d_name);
        errno = 0;
    }
    if (errno != 0) throw error::syscall_error(errno, fmt::format("readdir(\"{}\")", shown(path)));
    std::sort(names.begin(), names.end());
    return names;
}

// --- the journal's text ------------------------------------------------------

bool is_plain(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/._:@+,=-").find(static_cast<char>(c)) != std::string_view::npos;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

constexpr std::pair<Entry::Tag, std::string_view> kTags[] = {
    {Entry::Tag::own, "own"}, {Entry::Tag::shared, "shared"}, {Entry::Tag::released, "released"}};

std::string format_line(const Entry& entry) {
    std::string_view tag;
    for (const auto& [value, name] : kTags)
        if (value == entry.tag) tag = name;
    return fmt::format("{} {} {}\n", tag, entry.kind, escape(entry.arg));
}

// "tag kind arg": the escaped arg holds no space, so two spaces split it.
std::optional<Entry> parse_line(std::string_view line) {
    size_t first = line.find(' ');
    size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    std::string_view kind = line.substr(first + 1, second - first - 1);
    std::optional<std::string> arg = unescape(line.substr(second + 1));
    for (const auto& [value, name] : kTags) {
        if (name == line.substr(0, first) && is_kind_name(kind) && arg)
            return Entry{value, std::string(kind), std::move(*arg)};
    }
    return std::nullopt;
}

struct Parsed {
    std::vector<Entry> entries;
    std::string problem;  // empty: every line was read
};

Parsed parse_journal(std::string_view text) {
    Parsed parsed;
    // A last line without its '\n' is a write(2) cut short by SIGKILL: its
    // record() never returned, so its resource was never made. Ignore it.
    for (size_t line = 1, end; (end = text.find('\n')) != std::string_view::npos; ++line) {
        std::optional<Entry> entry = parse_line(text.substr(0, end));
        if (!entry) {
            parsed.problem = fmt::format("line {} is not a journal line", line);
            return parsed;
        }
        parsed.entries.push_back(std::move(*entry));
        text.remove_prefix(end + 1);
    }
    return parsed;
}

// --- who else holds a shared resource ----------------------------------------

// Whether a journal's text still claims (kind, arg): a "shared" line with no
// "released" line after it.
bool journal_holds(std::string_view text, const Entry& resource) {
    bool held = false;
    for (const Entry& line : parse_journal(text).entries) {
        if (line.kind != resource.kind || line.arg != resource.arg) continue;
        if (line.tag == Entry::Tag::shared) held = true;
        if (line.tag == Entry::Tag::released) held = false;
    }
    return held;
}

// A journal's text if it counts as a holder at all: a kept one always (its
// container lives on), a run's only while the run lives (its lock is held).
std::optional<std::string> text_of_holder(const fd::Fd& dir, const std::string& name,
                                          const fs::path& path, bool live_only) {
    fd::Fd journal = open_journal(dir, name, path, O_RDONLY);
    if (!journal) return std::nullopt;
    if (live_only && try_lock(journal, LOCK_SH, path)) return std::nullopt;  // a dead run
    return read_all(journal, path);
}

// Which journal ("runs/<name>" or "kept/<name>") other than `self` holds the
// resource. Call it under the StateLock: a holder may not come or go meanwhile.
std::optional<std::string> holder_of(const StateDir& state, const Entry& resource,
                                     std::string_view self) {
    struct Place {
        const fd::Fd& dir;
        std::string_view where;
        bool live_only;
    };
    for (const Place& place : {Place{state.runs, "runs", true}, Place{state.kept, "kept", false}}) {
        fs::path dir_path = state.path / place.where;
        for (const std::string& name : list_journals(place.dir, dir_path)) {
            std::string where = fmt::format("{}/{}", place.where, name);
            if (where == self) continue;
            auto text = text_of_holder(place.dir, name, dir_path / name, place.live_only);
            if (text && journal_holds(*text, resource)) return where;
        }
    }
    return std::nullopt;
}

// --- undoing one journal -------------------------------------------------------

// Reports a step: on stderr if something is wrong, to the callback, and into
// the list of steps.
void tell(const Report& report, std::vector<Step>& steps, Step step, const fs::path& path) {
    if (step.outcome == Outcome::failed)
        say(fmt::format("cannot undo {} {} (journal {}): {}", step.kind, escape(step.arg),
                        shown(path), step.detail));
    // Not an error of this run: a later chapter's journal (08's cgroups seen
    // by 06) waits for a program that knows its kinds. Said under --explain
    // only: on stderr it would be said again by every run until then.
    if (step.outcome == Outcome::unknown_kind)
        explain::note(
            fmt::format("journal {}: no undo for kind \"{}\" in this program; kept "
                        "for one that has it",
                        shown(path), step.kind));
    if (step.outcome == Outcome::unreadable)
        say(fmt::format("journal {}: {}; kept as it is", shown(path), step.detail));
    if (report) report(step);
    steps.push_back(std::move(step));
}

// Undoes the lines of one journal, newest first.
class Undoing {
  public:
    Undoing(const StateDir& state, const fs::path& path, const fd::Fd& journal,
            const Report& report, std::vector<Step>& steps, bool state_locked)
        : state_(state),
          path_(path),
          name_(path.filename().string()),
          self_((path.parent_path().filename() / name_).string()),
          journal_(journal),
          report_(report),
          steps_(steps),
          state_locked_(state_locked) {}

    void run(const std::vector<Entry>& entries);
    bool ok() const { return ok_; }

  private:
    void own(const Entry& entry);
    void shared(const Entry& entry);
    template <typename Action>
    void guarded(const Entry& entry, Action action);
    void done(const Entry& entry, Outcome outcome, std::string detail = {}) {
        tell(report_, steps_, Step{name_, entry.kind, entry.arg, outcome, std::move(detail)},
             path_);
    }

    const StateDir& state_;
    fs::path path_;          // the journal, for messages
    std::string name_;       // its file name
    std::string self_;       // "runs/<name>" or "kept/<name>": holders are the others
    const fd::Fd& journal_;  // "released" lines are appended to it
    const Report& report_;
    std::vector<Step>& steps_;
    bool state_locked_;  // does our caller hold the StateLock already?
    bool ok_ = true;
};

void Undoing::run(const std::vector<Entry>& entries) {
    std::set<std::pair<std::string, std::string>> released;  // seen so far, newest first
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (it->tag == Entry::Tag::released) released.emplace(it->kind, it->arg);
        if (it->tag == Entry::Tag::own) own(*it);
        if (it->tag == Entry::Tag::shared && released.count({it->kind, it->arg}) == 0) shared(*it);
    }
}

// Runs one undo step; a failure is reported, marks the journal to be kept,
// and does not stop the steps after it (each undoes something else).
template <typename Action>
void Undoing::guarded(const Entry& entry, Action action) {
    try {
        action();
    } catch (const std::exception& e) {
        ok_ = false;
        done(entry, Outcome::failed, error::describe(e));
    } catch (...) {
        ok_ = false;
        done(entry, Outcome::failed, "an exception that is not a std::exception");
    }
}

void Undoing::own(const Entry& entry) {
    guarded(entry, [&] {
        undo_of(entry.kind)(entry.arg);
        done(entry, Outcome::undone);
    });
}

// The last holder undoes; any other only gives up its claim. Both decide and
// write "released" under the StateLock, so that of two runs ending at once
// exactly one sees itself as the last.
void Undoing::shared(const Entry& entry) {
    guarded(entry, [&] {
        std::optional<StateLock> lock;
        if (!state_locked_) lock.emplace(state_);
        std::optional<std::string> holder = holder_of(state_, entry, self_);
        if (!holder) undo_of(entry.kind)(entry.arg);
        write_all(journal_, format_line({Entry::Tag::released, entry.kind, entry.arg}), path_);
        done(entry, holder ? Outcome::still_shared : Outcome::undone, holder.value_or(""));
    });
}

// The kind of the first line no registered undo can serve, if any.
std::optional<std::string> first_unknown(const std::vector<Entry>& entries) {
    for (const Entry& entry : entries)
        if (entry.tag != Entry::Tag::released && undo_of(entry.kind) == nullptr) return entry.kind;
    return std::nullopt;
}

// Undoes a journal we hold locked (or a kept one), and removes it if all went
// well. One it cannot fully read or undo stays, so nothing is forgotten.
void undo_journal(const StateDir& state, const fd::Fd& dir, const fs::path& path,
                  const fd::Fd& journal, const Report& report, std::vector<Step>& steps) {
    std::string name = path.filename().string();
    Parsed parsed = parse_journal(read_all(journal, path));
    if (!parsed.problem.empty())
        return tell(report, steps, Step{name, "", "", Outcome::unreadable, parsed.problem}, path);
    if (auto kind = first_unknown(parsed.entries))
        return tell(report, steps, Step{name, *kind, "", Outcome::unknown_kind, ""}, path);
    Undoing undoing{state, path, journal, report, steps, true};
    undoing.run(parsed.entries);
    if (undoing.ok())
        check_syscall(::unlinkat(dir.get(), name.c_str(), 0),
                      fmt::format("unlink(\"{}\")", shown(path)));
}

// A run's journal, if its run is dead: we could lock it, and it is still
// linked. (A run that ended well unlinks its journal before closing it; a
// replay that opened it just before must not undo it a second time.)
fd::Fd lock_if_dead(const StateDir& state, const std::string& name, const fs::path& path) {
    fd::Fd journal = open_journal(state.runs, name, path, O_RDWR | O_APPEND);
    if (!journal || !try_lock(journal, LOCK_EX, path)) return fd::Fd{};
    struct stat st {};
    check_syscall(::fstat(journal.get(), &st), fmt::format("fstat(\"{}\")", shown(path)));
    return st.st_nlink == 0 ? fd::Fd{} : std::move(journal);
}

}  // namespace

// --- public --------------------------------------------------------------------

void register_kind(std::string_view kind, Undo undo) {
    if (!is_kind_name(kind) || undo == nullptr)
        throw std::logic_error(fmt::format("host::register_kind: bad kind \"{}\"", kind));
    auto [it, inserted] = registry().emplace(std::string(kind), undo);
    if (!inserted && it->second != undo)
        throw std::logic_error(fmt::format("host::register_kind: \"{}\" registered twice", kind));
}

std::string escape(std::string_view bytes) {
    std::string text;
    for (char c : bytes) {
        auto byte = static_cast<unsigned char>(c);
        if (is_plain(byte))
            text += c;
        else
            text += fmt::format("%{:02X}", byte);
    }
    return text;
}

std::optional<std::string> unescape(std::string_view text) {
    std::string bytes;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            if (!is_plain(static_cast<unsigned char>(text[i]))) return std::nullopt;
            bytes += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return bytes;
}

// Field 22 of proc(5)'s /proc/PID/stat: when the process started, in clock
// ticks after boot. With the pid it names one process for the whole boot.
std::optional<std::string> start_time(pid_t pid) {
    fs::path path = fmt::format("/proc/{}/stat", pid);
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0 && (errno == ENOENT || errno == ESRCH)) return std::nullopt;
    fd::Fd file{check_syscall(raw, fmt::format("open(\"{}\")", path.string()))};
    std::string stat;
    try {
        stat = read_all(file, path);
    } catch (const std::system_error& e) {
        if (e.code().value() == ESRCH) return std::nullopt;  // it ended meanwhile
        throw;
    }
    // Field 2, the command name, is in parentheses and may hold spaces:
    // count from the last ')', after which field 3 starts.
    size_t at = stat.rfind(')');
    for (int field = 2; at != std::string::npos && field < 22; ++field) at = stat.find(' ', at + 1);
    if (at == std::string::npos)
        throw std::runtime_error(path.string() + ": no field 22 (starttime)");
    return stat.substr(at + 1, stat.find(' ', at + 1) - at - 1);
}

fs::path default_state_dir() {
    if (::geteuid() == 0) return "/run/unshared";
    // A user who is not root cannot write /run (0755 root). Their own runtime
    // directory (XDG Base Directory spec: 0700, theirs, gone at logout), as
    // rootless Podman uses; else one in /tmp, which check_private() refuses
    // if someone else made it first (another owner, or writable by others).
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/')
        return fs::path(xdg) / "unshared";
    return fmt::format("/tmp/unshared-{}", ::geteuid());
}

namespace {

// ".journal" for a process's first Ledger, then "-2.journal", ...: a runtime
// has one at a time, a test may have two, and names must not collide. Counted
// per pid: a fork(2)ed child inherits the counter, not the parent's journals.
std::string journal_suffix(pid_t pid) {
    static pid_t counted_for = 0;
    static int made = 0;
    if (std::exchange(counted_for, pid) != pid) made = 0;
    return ++made == 1 ? std::string(kSuffix) : fmt::format("-{}{}", made, kSuffix);
}

}  // namespace

// Creates and locks the journal under the StateLock: replay_dead_runs() looks
// only under it, so it never sees the journal in the instant between openat()
// and flock(), when the new run would look dead.
Ledger::Ledger(const fs::path& state_dir, Report report)
    : state_(open_state(state_dir)), report_(std::move(report)), owner_(::getpid()) {
    name_ = fmt::format("{}-{}{}", owner_, *start_time(::getpid()), journal_suffix(owner_));
    fs::path path = state_.path / "runs" / name_;
    StateLock lock{state_};
    journal_ = fd::Fd{
        check_syscall(::openat(state_.runs.get(), name_.c_str(),
                               O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600),
                      fmt::format("open(\"{}\", O_CREAT|O_EXCL)", shown(path)))};
    check_syscall(::flock(journal_.get(), LOCK_EX | LOCK_NB),
                  fmt::format("flock(\"{}\", LOCK_EX)", shown(path)));
    // fsync(2): the new name in runs/ reaches the disk only with its directory.
    check_syscall(::fsync(state_.runs.get()),
                  fmt::format("fsync(\"{}\")", shown(path.parent_path())));
}

Ledger::~Ledger() {
    // After fork(2) a child holds a copy of this object: only the run that
    // made the journal undoes it (a child leaving the scope must not).
    if (kept_ || ::getpid() != owner_) return;
    fs::path path = state_.path / "runs" / name_;
    if (!undo_all()) {
        say(fmt::format("journal {} kept: the next run (or --cleanup) tries again", shown(path)));
        return;
    }
    // Unlink, then close (journal_'s own destructor): never the other way
    // round, or a replay could lock a finished journal while it still has a name.
    if (::unlinkat(state_.runs.get(), name_.c_str(), 0) == -1) {
        int err = errno;
        say(fmt::format("unlink(\"{}\"): {}", shown(path), std::strerror(err)));
    }
}

bool Ledger::undo_all() noexcept {
    try {
        std::vector<Step> steps;
        Undoing undoing{state_, state_.path / "runs" / name_, journal_, report_, steps, false};
        undoing.run(entries_);
        return undoing.ok();
    } catch (const std::exception& e) {
        say(fmt::format("undoing journal {}: {}", name_, error::describe(e)));
        return false;
    } catch (...) {
        return false;
    }
}

void Ledger::check_recordable(std::string_view kind) const {
    if (kept_) throw std::logic_error("host::Ledger: record() after keep()");
    if (undo_of(kind) == nullptr)
        throw std::logic_error(fmt::format("host::Ledger: no undo registered for \"{}\"", kind));
}

void Ledger::record(std::string_view kind, std::string_view arg) {
    check_recordable(kind);
    append({Entry::Tag::own, std::string(kind), std::string(arg)});
}

// Under the StateLock, so that a last holder deciding to undo sees this claim.
void Ledger::record_shared(std::string_view kind, std::string_view arg) {
    check_recordable(kind);
    Entry entry{Entry::Tag::shared, std::string(kind), std::string(arg)};
    StateLock lock{state_};
    if (!holds(entry)) append(std::move(entry));
}

bool Ledger::holds(const Entry& entry) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
        return e.tag == Entry::Tag::shared && e.kind == entry.kind && e.arg == entry.arg;
    });
}

// write(2) then fdatasync(2): the line is in the kernel, and on the disk,
// before record() returns. A failed write is cut back off (ftruncate(2)), so
// the next line does not glue onto half a line.
void Ledger::append(Entry entry) {
    fs::path path = state_.path / "runs" / name_;
    std::string line = format_line(entry);
    try {
        write_all(journal_, line, path);
        check_syscall(::fdatasync(journal_.get()), fmt::format("fdatasync(\"{}\")", shown(path)));
    } catch (...) {
        // If even this fails, the half line makes the journal unreadable:
        // it is then kept and reported, never half undone.
        if (::ftruncate(journal_.get(), size_) == -1) errno = 0;
        throw;
    }
    size_ += static_cast<off_t>(line.size());
    entries_.push_back(std::move(entry));
}

// Moves the journal to kept/ and closes it under the StateLock: a replay
// never finds it in runs/ without its lock. No LOCK_UN: flock(2) locks belong
// to the open file, shared with any fork(2)ed child; closing ours is enough.
std::string Ledger::keep() {
    if (kept_) throw std::logic_error("host::Ledger: keep() twice");
    StateLock lock{state_};
    check_syscall(::renameat(state_.runs.get(), name_.c_str(), state_.kept.get(), name_.c_str()),
                  fmt::format("rename(\"{}\", \"{}\")", shown(state_.path / "runs" / name_),
                              shown(state_.path / "kept" / name_)));
    check_syscall(::fsync(state_.kept.get()),
                  fmt::format("fsync(\"{}\")", shown(state_.path / "kept")));
    kept_ = true;
    journal_.reset();
    return name_;
}

// The whole replay runs under the StateLock: no journal is created, kept or
// given up meanwhile. It never waits on a journal's lock (LOCK_NB), so it
// cannot deadlock with a run that waits for the StateLock.
std::vector<Step> replay_dead_runs(const fs::path& state_dir, const Report& report) {
    StateDir state = open_state(state_dir);
    StateLock lock{state};
    std::vector<Step> steps;
    for (const std::string& name : list_journals(state.runs, state.path / "runs")) {
        fs::path path = state.path / "runs" / name;
        fd::Fd journal = lock_if_dead(state, name, path);
        if (journal) undo_journal(state, state.runs, path, journal, report, steps);
    }
    return steps;
}

std::vector<Step> undo_kept(const fs::path& state_dir, std::string_view journal,
                            const Report& report) {
    if (!is_journal_name(journal))
        throw error::UsageError(fmt::format("not a journal's name: {}", escape(journal)));
    StateDir state = open_state(state_dir);
    StateLock lock{state};
    fs::path path = state.path / "kept" / journal;
    fd::Fd file = open_journal(state.kept, std::string(journal), path, O_RDWR | O_APPEND);
    if (!file) throw error::UsageError(fmt::format("no kept journal {}", shown(path)));
    std::vector<Step> steps;
    undo_journal(state, state.kept, path, file, report, steps);
    return steps;
}

// --- the option group ----------------------------------------------------------

namespace {

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option_function<std::string>(
           "--state-dir",
           [&spec](const std::string& dir) {
               if (dir.empty()) throw error::UsageError("--state-dir: the path is empty");
               std::error_code ec;
               fs::path absolute = fs::absolute(dir, ec);
               if (ec)
                   throw error::UsageError(fmt::format("--state-dir {}: {}", dir, ec.message()));
               spec.host.state_dir = absolute.lexically_normal();
           },
           "Where the runtime journals what it makes on the host (bridge, NAT rules,\n"
           "address leases), so that nothing outlives the container (default /run/unshared;\n"
           "not root: $XDG_RUNTIME_DIR/unshared, or /tmp/unshared-UID).\n"
           "Containers that share the host's network must share it: it counts who holds what.")
        ->type_name("DIR");
    app.add_flag("--cleanup", spec.host.cleanup,
                 "Undo what runs killed by SIGKILL left behind (every run also does it when it\n"
                 "starts), say what was undone, and exit.");
}

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::undone:
            return "undone";
        case Outcome::still_shared:
            return "still in use";
        case Outcome::failed:
            return "FAILED";
        case Outcome::unknown_kind:
            return "kept (unknown kind)";
        case Outcome::unreadable:
            return "kept (unreadable)";
    }
    return "?";
}

}  // namespace

const cli::Group options{"host", add_options, nullptr};

int cleanup(const Settings& settings) {
    bool ok = true;
    std::vector<Step> steps = replay_dead_runs(settings.state_dir);
    for (const Step& step : steps) {
        ok = ok && (step.outcome == Outcome::undone || step.outcome == Outcome::still_shared);
        std::string line = fmt::format("{}: {} {} (journal {})\n", outcome_name(step.outcome),
                                       step.kind, say::one_line(step.arg), step.journal);
        if (std::fputs(line.c_str(), stdout) == EOF) ok = false;
    }
    if (steps.empty())
        std::fputs(fmt::format("nothing to clean up in {}\n", settings.state_dir.string()).c_str(),
                   stdout);
    return ok ? 0 : 1;
}

}  // namespace host
