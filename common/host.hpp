// host.hpp: the Ledger, a journal of everything the runtime makes on the host.
//
// From chapter 06 on, the runtime makes things *outside* the container: cgroup
// directories, a bridge, an nft table, state files, address leases. The
// container's namespaces vanish with its last process; these do not. The
// Ledger makes sure each one is undone, newest first, however the run ends:
//
//   normal end, error, SIGINT/SIGTERM  the destructor undoes (scope exit)
//   SIGKILL, a crash                   the next run, or `--cleanup`, replays
//                                      the dead run's journal
//
// Why the journal line is written BEFORE the resource is made: SIGKILL cannot
// be caught (signal(7)); the runtime may stop between any two instructions.
// Make-then-record has a window (made, not yet written) in which a kill
// leaves a resource nobody knows about: a leak no later run can find.
// Record-then-make has the opposite window (written, not yet made), and that
// one is harmless: the undo finds nothing to remove. So record() returns only
// once the line is in the kernel (write(2) returned: the page cache outlives
// the process), and every undo treats "it does not exist" (ENOENT, ESRCH, ...)
// as success. fdatasync(2) after each line extends this to a crash of the
// whole machine when the state directory is on a disk (fsync(2): without it
// the data may still sit in the page cache); on /run, a tmpfs, it costs
// nothing, and the directory itself is fsync'd once when the journal is made.
//
// Who is alive: each run holds flock(2) LOCK_EX on its own journal for its
// whole life. The kernel drops the lock when the last descriptor of that open
// file is closed, which it does itself when the process dies, even by
// SIGKILL. So "I can take the lock" means exactly "its owner is dead", with
// no pid compared: a pid can be reused by an unrelated process (the classic
// stale-pidfile bug), a lock cannot outlive its holder. A pidfd would be as
// safe but cannot be written into a file for the next run. The file name,
// <pid>-<starttime>.journal (starttime: proc(5), /proc/self/stat field 22;
// "-2" and so on before the suffix for a second Ledger in one process),
// is only for people (`ps`) and uniqueness: the pair names one process for
// the whole boot, so a new run never collides with a dead run's journal.
// One caveat, by design: a child that fork(2)ed and has not exec'd yet shares
// the locked file description, so the run counts as alive until it is gone
// too (the container, while set-up lasts, still uses what was made for it).
//
// The state directory (default /run/unshared, 0711, owned by the runtime's
// user: anyone who can write a journal can make root delete what it names):
//   lock                   flock(2)ed for each decision spanning journals
//   runs/<name>.journal    a journal per run, locked while the run lives
//   kept/<name>.journal    journals handed over by keep(), never replayed
//   seccomp/<sha256>.bpf   compiled seccomp filters (seccomp.hpp), 0700: nothing to
//                          undo, /run is cleared at boot
//
// A journal is text, one line per step, oldest first, arg percent-encoded:
//   own cgroup-dir /sys/fs/cgroup/unshared/web1
//   shared bridge unshared0
//   released bridge unshared0
// Undo is by kind, through a registry filled by the mechanisms: the next run
// must undo from the text alone, having never made the resource itself.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "options.hpp"

namespace host {

// Undoes one resource, given the arg it was recorded with. A plain function,
// not a closure: it can rely on nothing but the journalled text, because a
// later run that never made the resource may be the one calling it. It must
// succeed when the resource is already gone or was never made, report a real
// failure by throwing (error::check_syscall), and never use a Ledger.
using Undo = void (*)(std::string_view arg);

// Registers the undo of a kind ("cgroup-dir", "bridge", ...): lowercase
// letters, digits and '-'. Registering the same function twice is fine.
// Call it before record() or replay: a journal naming a kind this binary does
// not know is kept for a runtime that does, never half undone.
void register_kind(std::string_view kind, Undo undo);

// One line of a journal.
struct Entry {
    enum class Tag { own, shared, released };
    Tag tag;
    std::string kind;
    std::string arg;
};

// What happened to one journal line (or to a whole journal, for the last two).
enum class Outcome {
    undone,        // the undo ran and succeeded (also: nothing was there)
    still_shared,  // a shared resource another live or kept run still holds
    failed,        // the undo threw; the journal stays for a later retry
    unknown_kind,  // no undo registered for this kind: the journal stays
    unreadable,    // a line that is not a journal line: the journal stays
};

struct Step {
    std::string journal;  // e.g. "4242-81234.journal"
    std::string kind;
    std::string arg;  // decoded
    Outcome outcome;
    std::string detail;  // the error for failed, the holder for still_shared
};

// Called after each step, for --explain. Failures, unknown kinds and
// unreadable lines are also printed on stderr, one line each, in any case.
using Report = std::function<void(const Step&)>;

// /run/unshared. FHS 3.0 section 3.15: /run holds run-time data and is
// cleared at boot (a tmpfs on Debian), as are the resources journalled in it.
// Run by a user who is not root (07's rootless containers): a directory that
// user owns, $XDG_RUNTIME_DIR/unshared, or /tmp/unshared-UID without it.
std::filesystem::path default_state_dir();

// The state directory, opened once: every later access is relative to these
// descriptors (openat(2) and friends), so a path renamed meanwhile is not
// followed, and no path is built twice.
struct StateDir {
    std::filesystem::path path;  // for messages
    fd::Fd dir, runs, kept;
};

class Ledger {
  public:
    // Creates the state directory if needed and this run's journal, locked.
    explicit Ledger(const std::filesystem::path& state_dir, Report report = {});
    // Undoes every line, newest first; reports each failure on stderr; then
    // removes the journal, unless something failed (the next run retries).
    // Never throws. Does nothing in a fork(2)ed child (see owner_).
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // Journals "kind arg" and returns once it is written and synced. Call it
    // BEFORE making the resource; if it throws, do not make it.
    void record(std::string_view kind, std::string_view arg);

    // The same for a resource shared by runs (bridge, masquerade table,
    // ip_forward): its undo runs only when no other live or kept journal
    // holds the same (kind, arg); "the last one to leave turns off the light".
    // Recording what this run already holds is a no-op.
    void record_shared(std::string_view kind, std::string_view arg);

    // Leaves every resource in place for a later undo_kept() (OCI `create`,
    // then `delete`), moves the journal to kept/ and releases it. Returns the
    // journal's name. The destructor then does nothing.
    std::string keep();

    const std::string& journal_name() const { return name_; }

  private:
    void check_recordable(std::string_view kind) const;
    void append(Entry entry);
    bool holds(const Entry& entry) const;
    bool undo_all() noexcept;

    StateDir state_;
    fd::Fd journal_;  // runs/<name>, O_APPEND, flock(LOCK_EX) for our life
    std::string name_;
    std::vector<Entry> entries_;  // what the journal says, oldest first
    off_t size_ = 0;              // the journal's length after the last full line
    Report report_;
    pid_t owner_;  // a fork(2)ed child has a copy of *this but owns nothing
    bool kept_ = false;
};

// For each journal in runs/ whose lock can be taken (its run is dead): undo
// its lines newest first and remove it. Kept journals are never touched.
// Called by a run at its start and by `--cleanup`. Returns every step.
std::vector<Step> replay_dead_runs(const std::filesystem::path& state_dir,
                                   const Report& report = {});

// Undoes a kept journal by the name keep() returned (OCI `delete`).
std::vector<Step> undo_kept(const std::filesystem::path& state_dir, std::string_view journal,
                            const Report& report = {});

// spec.host: where the journals are, and whether to only clean up.
struct Settings {
    std::filesystem::path state_dir = default_state_dir();  // --state-dir, absolute
    bool cleanup = false;                                   // --cleanup
};

// The option group of the chapters that make host resources (06 on):
// --state-dir DIR, and --cleanup (cli::run then replays the journals of
// dead runs, prints what it undid, and exits).
extern const cli::Group options;

// --cleanup: replay_dead_runs, one line on stdout per step. Returns the exit
// status: 0, or 1 if something could not be undone.
int cleanup(const Settings& settings);

// The journal's encoding of an arg: bytes outside [A-Za-z0-9/._:@+,=-] become
// %XX, so any byte (space, newline, NUL, non-UTF-8) is safe on one line.
std::string escape(std::string_view bytes);
// Its inverse; nullopt for text that is not percent-encoded: a raw byte
// outside that set, or a '%' without two hex digits after it.
std::optional<std::string> unescape(std::string_view text);

// When process `pid` started (proc(5), /proc/PID/stat field 22, clock ticks
// after boot); nullopt if there is no such process. The pair (pid, start
// time) names one process for the whole boot, where a pid alone may be reused.
std::optional<std::string> start_time(pid_t pid);
// <state_dir>/NAME, a directory of the runtime's alone (0700, checked as the
// state directory is: ours, writable by nobody else), made if needed, and the
// state directory with it (0711). For what is no journal: seccomp's cache.
fd::Fd open_private_subdir(const std::filesystem::path& state_dir, const std::string& name);

// chmod 0711 of a directory of the state dir that a container's set-up
// must walk through: search for others, no listing, no writing.
void search_only_for_others(const fd::Fd& dir, const std::filesystem::path& path);

}  // namespace host
