// state.hpp: a container's name, and what the runtime writes about it.
//
// Until chapter 10 a container is anonymous: it lives and dies with the
// runtime's process, and nobody else can find it. `docker exec` and
// `docker ps` need more: a NAME, and a place where the runtime says which
// process is the container and how it was set up. That place is a directory
// of the state directory (host.hpp), one per running container:
//
//   /run/unshared/NAME/state   one file, "key value" lines, rewritten whole
//
//   name        web
//   status      creating | running
//   owner       4242-81234.journal   the run that made it (its Ledger journal)
//   pid         4250                 the container's PID 1, as the host sees it
//   start-time  81240                ... and when it started (proc(5), stat field 22)
//   created     2026-12-01T15:30:02Z
//   command     /bin/sh -c ...       (what ps shows)
//   rootfs, cgroup, env, caps, no-new-privileges, user, seccomp, ulimit,
//   landlock, landlock-writable, apparmor, userns: the resolved spec, what
//   exec applies
//
// Values are percent-encoded as in the journal (host::escape), so any byte is
// safe on one line. The directory is 0700 and the file 0600: the environment
// (-e) may hold secrets.
//
// Why pid AND start time: a pid is reused once its process is gone (the
// classic stale-pidfile bug). exec opens a pidfd on the pid first
// (pidfd_open(2), Linux 5.3), then checks that the process behind it started
// when the state says. From then on the pidfd names that process and no
// other, whatever happens to the pid: setns(2) on it (Linux 5.8) joins the
// container's namespaces, or fails with ESRCH if it has ended.
//
// Life of the directory, and why it is made the way it is:
//   claim()   before anything else, journals it in the run's Ledger, makes
//             it under a name only this run uses (.NAME.JOURNAL), then
//             renames it to NAME with RENAME_NOREPLACE (rename(2)): of two
//             runs asking for one name at once, exactly one gets it, and the
//             other never touches it.
//   save()    after the set-up succeeded (release): status running, pid,
//             spec. Until then exec refuses: the container's mount namespace
//             would still show the host's root.
//   undo      the Ledger (scope exit, or the next run after a SIGKILL)
//             removes NAME only if its state names the run as its owner.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "ns.hpp"
#include "options.hpp"

namespace host {
class Ledger;
}
namespace spec {
struct Spec;
}

namespace state {

// spec.state: the container's name.
struct Settings {
    std::string name;        // --name, or generated
    bool generated = false;  // no --name: a fresh one is picked on a clash
};

// --name NAME (11). Names as Docker allows them, [a-zA-Z0-9][a-zA-Z0-9_.-]*,
// at most 63 bytes, and none of the state directory's own entries.
extern const cli::Group options;

// The problem with a name ("" for none), for messages.
std::string name_problem(const std::string& name);

// A container's directory in the state directory, claimed by this run.
class Dir {
  public:
    Dir(fd::Fd dir, std::filesystem::path path, std::string name, std::string owner);
    const std::string& name() const { return name_; }
    const std::filesystem::path& path() const { return path_; }
    // Writes the state of a running container: after release(), when the
    // set-up is over. `init` is its PID 1; `cgroups` the directories it is in.
    void save(const spec::Spec& spec, pid_t init, const std::vector<std::string>& cgroups);

  private:
    fd::Fd dir_;  // STATE-DIR/NAME, ours
    std::filesystem::path path_;
    std::string name_, owner_;
};

// Journals the directory in `host`, then makes it (see above). A name
// already in use is an error::UsageError naming the container that has it;
// a generated name is drawn again instead.
Dir claim(host::Ledger& host, const std::filesystem::path& state_dir, state::Settings& settings);

// A container as its state file describes it.
struct Saved {
    std::string name, status, owner, created, rootfs, seccomp;
    pid_t pid = 0;
    std::string start_time;
    std::vector<std::string> command, cgroups, env, landlock_writable;
    std::vector<std::string> ulimits;  // "nofile=1024:1024", as --ulimit spells them
    std::string caps, user;            // caps: the mask, "0xa80425fb"; user: "UID:GID"
    std::string user_given, user_home;
    std::string apparmor;            // the profile, "" for none
    bool apparmor_optional = false;  // the default, which may not be loaded
    bool no_new_privs = true, landlock = true, userns = false;
};

// The containers of the state directory, by name; a directory whose state
// cannot be read is listed with status "unreadable". Read only: it never
// cleans up (that is the next run's, or --cleanup's, job).
std::vector<Saved> list(const std::filesystem::path& state_dir);

// Whether the process `saved` names is still the one that started then.
bool alive(const Saved& saved);

// A running container, found by name: its state and a pidfd on its PID 1.
struct Running {
    Saved saved;
    fd::Fd pidfd;    // pidfd_open(2) on saved.pid, checked against its start time
    ns::Set joined;  // the namespaces it has that we do not (what setns joins)
};

// Finds NAME in the state directory and checks it is running. A name that
// is not there, a container still starting or one that has ended: an
// error::UsageError saying so.
Running open(const std::filesystem::path& state_dir, const std::string& name);

// `NN-name ps`: one line per container, with a header. Returns 0.
int print_list(const std::filesystem::path& state_dir);

// Fills the slices of `spec` that exec applies from a saved state: the
// capabilities, no_new_privs, user, seccomp profile, rlimits, Landlock,
// AppArmor profile and environment. Throws error::UsageError if the state is not understood.
void fill_spec(const Saved& saved, spec::Spec& spec);

}  // namespace state
