// caps.hpp: chapter 09, root without its powers.
//
// Root's power is not one thing. Since Linux 2.2 it is split into about
// forty capabilities (capabilities(7)): CAP_CHOWN, CAP_SYS_TIME,
// CAP_SYS_ADMIN, ... A container's command may run as root and still be
// refused a mount, a module load or a clock change, because the runtime
// took those capabilities away before it started the command.
//
// Every thread has five capability sets, each a 64-bit mask, bit N for
// capability N (the lines of /proc/self/status):
//   effective    CapEff  what the kernel checks right now
//   permitted    CapPrm  what the thread may put into effective
//   inheritable  CapInh  what may pass through an execve(2), if the file allows it
//   bounding     CapBnd  the ceiling: what any execve(2) may ever grant again
//   ambient      CapAmb  what passes through an execve(2) of a plain file (Linux 4.3)
// An execve(2) computes the new sets from the old ones and the file's
// capabilities (capabilities(7), "Transformation of capabilities during
// execve()"). For root, every binary counts as having *all* file
// capabilities, so root's new permitted set is its whole bounding set.
//
// THE TRAP: clearing only effective and permitted does nothing for a root
// command. Its first execve(2) refills them from the bounding set, and
// from the inheritable set (a binary with file capabilities, or ambient
// ones, bring more back). Try it: after
//   capsh --caps=cap_chown=ep -- -c 'grep Cap /proc/self/status'
// the shell's CapPrm is full again. So the drop happens in every set that
// matters, in this order:
//   1. bounding     prctl(PR_CAPBSET_DROP) for each capability not kept,
//                   up to the kernel's last (/proc/sys/kernel/cap_last_cap);
//                   needs CAP_SETPCAP, so it comes first;
//   2. ambient      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
//   3. the rest     capset(2): inheritable empty, permitted = effective = kept.
// Then no_new_privs (prctl(PR_SET_NO_NEW_PRIVS), Linux 3.5): from here on no
// execve(2) can grant anything, not even a setuid-root binary. And, with
// --user, the switch to a non-root uid, after which the kernel empties
// permitted, effective and ambient by itself ("Effect of user ID changes on
// capabilities").
//
// Why the raw calls and not libcap: the five sets are five masks the kernel
// shows in /proc/self/status, and capget/capset(2) move exactly those
// masks, so a reader can hold the code and the proc lines side by side.
// The bounding and ambient sets are prctl(2) calls in any case (libcap
// wraps them in functions of its own), and the names table must be ours
// anyway (Docker's spelling, close matches for a typo, why each matters).
// So each step below is one system call with its man page, and --explain
// can name it. No extra library to link statically.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"

namespace caps {

// A set of capabilities: bit N is capability N, as /proc/self/status shows it.
using Mask = std::uint64_t;

constexpr Mask bit(int capability) {
    return Mask{1} << capability;
}

// One capability of capabilities(7).
struct Capability {
    int number;        // CAP_CHOWN is 0, ... (<linux/capability.h>)
    const char* name;  // lowercase, without "cap_": "chown", as setpriv(1) spells it
    const char* what;  // what it allows, in a few words
};

// Every capability unshared knows, in the kernel's order.
std::span<const Capability> table();

// Every capability in table(): what ALL means.
Mask all();

// Docker's default set, the 14 a container keeps unless told otherwise:
// CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
// SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE.
Mask docker_default();

// The number of a capability named with or without "CAP_", in any case
// ("SYS_ADMIN", "cap_sys_admin", "Sys_Admin"), or nullopt. Not "ALL".
std::optional<int> find(std::string_view name);

// "SYS_ADMIN", the way Docker's --cap-add spells it.
std::string name_of(int capability);

// Known names close to an unknown one (a typo, a missing prefix word),
// best first, at most four: "SYS_ADMN" -> {"SYS_ADMIN"}.
std::vector<std::string> close_matches(std::string_view name);

// The names in `mask`, joined: names(m, ",", "cap_") gives "cap_chown,cap_kill".
// Capabilities outside table() read "41", "42", ...
std::string names(Mask mask, std::string_view separator = ", ", std::string_view prefix = "");

// Docker's rule for --cap-add and --cap-drop, whatever their order on the
// command line: start from `defaults`; drop (ALL drops everything); then
// add (ALL adds everything except what was dropped by name). Throws
// error::UsageError for an unknown name, with close matches.
Mask resolve(Mask defaults, const std::vector<std::string>& add,
             const std::vector<std::string>& drop);

// The user the command runs as (--user).
struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string given;  // as typed, for messages: "nobody", "1000:100"
    std::string home;   // from the rootfs's /etc/passwd, "" if it does not list the user
};

// What the container keeps of root's powers (spec.caps).
struct Settings {
    std::vector<std::string> add, drop;  // --cap-add, --cap-drop, as typed
    std::string user_given;              // --user, as typed ("" = stay root)
    // Filled by the option group:
    Mask keep = docker_default();  // the capabilities the container keeps
    Mask asked = 0;                // named in --cap-add: an error if the runtime lacks one
    bool no_new_privs = true;      // --no-new-privileges (default), --allow-new-privileges
    std::optional<User> user;      // -u/--user; none: the command runs as root
};

// The option group: --cap-add, --cap-drop, --no-new-privileges,
// --allow-new-privileges, -u/--user.
extern const cli::Group options;

// --user UID[:GID] or NAME[:GROUP]. A name is looked up in `passwd` (the
// text of the rootfs's /etc/passwd: the container's users, not the
// host's), a group name in `group` (its /etc/group). Without a GID: the
// user's group in `passwd`, or the UID itself for a uid it does not list.
// Throws error::UsageError ("--user 0:abc: no group ...").
User parse_user(std::string_view given, std::string_view passwd, std::string_view group);

// parse_user with /etc/passwd and /etc/group read inside `rootfs`
// (inroot::read_file: resolved in the rootfs, never the host's).
User resolve_user(std::string_view given, const std::filesystem::path& rootfs);

// --- in the child ---------------------------------------------------------------

// The five sets of the calling thread, read with capget(2) and prctl(2).
struct Sets {
    Mask effective = 0, permitted = 0, inheritable = 0, bounding = 0, ambient = 0;
};
Sets current();

// The highest capability number the running kernel knows
// (/proc/sys/kernel/cap_last_cap; 40 since Linux 5.9).
int last_cap();

// 1. prctl(PR_CAPBSET_DROP) each capability up to last_cap() not in `keep`
//    that the bounding set still holds.
void drop_bounding(Mask keep);
// 2. prctl(PR_CAP_AMBIENT_CLEAR_ALL).
void clear_ambient();
// 3. capset(2): permitted = effective = `keep`, inheritable empty.
void set_process_sets(Mask keep);

// The drop of settings.keep in every set, in the order above. With a user
// to switch to, CAP_SETUID and CAP_SETGID stay in permitted and effective
// until switch_user() (which needs them) has run; it drops them.
// Throws if settings.asked holds a capability the runtime itself lacks.
void drop(const Settings& settings);

// prctl(PR_SET_NO_NEW_PRIVS, 1): no execve(2) of ours grants privileges again.
void set_no_new_privs();

// Becomes `user`: setgroups(2) to no supplementary groups, setresgid(2),
// setresuid(2); then leaves permitted and effective at `keep` (what the
// kernel left of it), and re-arms the death signal the credential change
// cleared (process::arm_death_signal), if it was armed.
void switch_user(const User& user, Mask keep);

}  // namespace caps
