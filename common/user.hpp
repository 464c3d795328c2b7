// user.hpp: chapter 07, a user namespace: root inside, nobody outside.
//
// A user namespace (user_namespaces(7), Linux 3.8) gives its processes their
// own user and group ids, and capabilities that count only for what that
// namespace owns. Two files per process say which ids inside are which ids
// outside, one line "INSIDE OUTSIDE COUNT" each:
//
//   /proc/PID/uid_map   0 100000 65536   container uids 0-65535 are host
//   /proc/PID/gid_map   0 100000 65536   uids (gids) 100000-165535
//
// So the container's root is uid 100000 on the host: a user with no power
// over anything the host owns. Every other namespace created in the same
// clone3(2) is owned by the new user namespace, and the container's root has
// its capabilities (CAP_SYS_ADMIN to mount, CAP_SYS_CHROOT to pivot_root)
// there, and only there.
//
// The steps, in order (design.md, section 11):
//   runtime  spawn the child with CLONE_NEWUSER; while it waits, write_maps():
//            "deny" to /proc/PID/setgroups where the kernel requires it, then
//            gid_map, then uid_map (each written once, in one write(2)).
//   child    become_root(): setresgid(0), setgroups, setresuid(0) inside, then
//            re-arm PR_SET_PDEATHSIG, which the credential change cleared.
//
// Where the outside ids come from:
//   - run as root: the range /etc/subuid and /etc/subgid (subuid(5)) give the
//     dedicated user `unshared` (quickstart makes it, with a range no other
//     entry overlaps), or --uid-map/--gid-map given by hand;
//   - run as another user (rootless): container root is the caller's own uid;
//     with newuidmap(1)/newgidmap(1) (package uidmap, setuid root) and an
//     /etc/subuid entry for the caller, uids 1-65535 map to the caller's
//     subordinate range, as rootless Podman does; without them, one uid only.
//   - --userns host: no user namespace at all (to compare, and for the attack
//     matrix's defence-in-depth cells).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"

namespace user {

// One line of a uid_map or gid_map: ids inside..inside+count-1 of the
// container are ids outside..outside+count-1 of the parent namespace.
struct Range {
    uint32_t inside = 0;
    uint32_t outside = 0;
    uint32_t count = 0;
    bool operator==(const Range&) const = default;
};
using Map = std::vector<Range>;

// Who writes the maps, which decides what the kernel lets them hold
// (user_namespaces(7), "Defining user and group ID mappings").
enum class Writer {
    runtime,  // we have CAP_SETUID and CAP_SETGID where we run (root): any map
    self,     // rootless, no helper: one line mapping our own uid (gid), and
              // "deny" in /proc/PID/setgroups before gid_map (Linux 3.19)
    helper,   // rootless: newuidmap/newgidmap check /etc/subuid for us
};

// The user namespace part of the container's Spec.
struct Settings {
    std::string userns = "private";  // --userns: "private" or "host"
    bool enabled = false;            // a new user namespace: 07+, unless --userns host
    Map uids;
    Map gids;
    Writer writer = Writer::runtime;
    std::string origin;  // where the maps come from, for --explain
};

// The user whose subordinate ids a container started by root gets.
inline constexpr std::string_view kDedicatedUser = "unshared";
// How many ids a container needs: 0 (root) to 65535 (nobody is 65534).
inline constexpr uint32_t kContainerIds = 65536;

// "0:100000:65536" (INSIDE:OUTSIDE:COUNT, the spelling of Podman's --uidmap
// and util-linux's --map-users) as a Range. Throws error::UsageError saying
// what is wrong ("COUNT is 0", "not a number").
Range parse_range(std::string_view text);

// Why the kernel would refuse `map`, or "" if it would take it: no line, too
// many lines (340), a count of 0, ids past 4294967294, two lines whose
// inside (or outside) ranges overlap. Also requires that 0, the container's
// root, is mapped: become_root() switches to it.
std::string map_problem(const Map& map);

// The outside id of `inside`, if the map has one.
std::optional<uint32_t> outside_id(const Map& map, uint32_t inside);

// The text written to uid_map or gid_map: one "INSIDE OUTSIDE COUNT" line each.
std::string map_text(const Map& map);

// A line "NAME:START:COUNT" of /etc/subuid or /etc/subgid (subuid(5)).
struct Subordinate {
    uint32_t start = 0;
    uint32_t count = 0;
};

// The ranges `text` (a subuid file) gives the user `name` (or its numeric
// `uid`: subuid(5) allows either), in file order. Comments, blank lines and
// malformed lines are skipped, as newuidmap does.
std::vector<Subordinate> subordinate_ranges(std::string_view text, std::string_view name,
                                            uid_t uid);

// The first user other than `name` (and `uid`) whose range in `text`
// overlaps `range`, or "". Two users sharing ids share files and processes:
// the one could enter the other's user namespaces as the same ids.
std::string overlapping_owner(std::string_view text, std::string_view name, uid_t uid,
                              const Subordinate& range);

// The runtime's side, while the child waits (between process::spawn and
// Container::release): setgroups where needed, gid_map, then uid_map.
void write_maps(pid_t pid, const Settings& settings);

// The child's side, once the maps are written and before anything else:
// become uid and gid 0 of the namespace, drop the host's supplementary
// groups where setgroups(2) is allowed, and re-arm PR_SET_PDEATHSIG.
void become_root(const Settings& settings);

// The option group: --uid-map, --gid-map, --userns. Fills spec.user and
// drops mount options a user namespace rejects (devpts gid=5 when gid 5 is
// not mapped).
extern const cli::Group options;

}  // namespace user
