// seccomp_cache.hpp: chapter 10's filters, compiled once per profile, not once per container.
//
// Building the filter is most of a container's start-up: ~4 ms to resolve
// the default profile and hand libseccomp its ~370 rules, ~8 ms for
// libseccomp to generate the BPF program from them (docs/cost.md). The
// result is a few KB of struct sock_filter (seccomp_export_bpf(3) writes
// exactly the program seccomp_load(3) would hand the kernel), the same for
// every container started with the same profile on the same machine by the
// same build. So seccomp.cpp keeps it in the state directory, under the
// SHA-256 of everything that decides it, and the next run loads it with
// seccomp(2) without parsing, resolving or building anything:
//
//   <state>/seccomp/<key>.bpf     0700 directory, 0600 files, written as a
//                                 temporary file, then rename(2)d
//
// What decides the program, all of it in the key (key_of):
//   - the profile's text, byte for byte (it decides the rules, the default
//     action, the architectures and the flags: parse() is a function of it);
//   - the Target it is resolved for (resolve() looks at nothing else): the
//     capabilities, the architecture, the kernel's version, and the
//     sub-architectures the kernel cannot run (x32, probed);
//   - libseccomp's version (seccomp_version(3)): it writes the program, and
//     set_attributes() asks for what it has;
//   - this binary's build: the GNU build ID the linker writes (a hash of
//     the binary), so that a change to seccomp.cpp, a student's solution of
//     the exercise among them, never loads a program another build made;
//   - kFormat, this file's own version of all this.
// A binary without a build ID gets no cache: it could not tell itself apart.
//
// The file is a filter bypass if anyone else can write it: whoever writes
// <key>.bpf decides which calls every later container may make (one
// "return ALLOW" is 8 bytes). So read() takes a file only if it is ours
// (our euid) and nobody else may write it, in a directory of which the same
// holds (host::open_private_subdir), and only if its length is a whole
// number of instructions, at most BPF_MAXINSNS (the kernel's limit). The
// kernel still checks the program itself (seccomp(2): EINVAL for a bad
// one); what no check can tell is a well-formed program that allows too
// much, hence the ownership. On /run, a tmpfs, the cache is gone at boot:
// nothing to clean. A cache that cannot be used is no reason to fail a run:
// seccomp.cpp then builds the filter as it always did.
#pragma once

#include <linux/filter.h>

#include <string>
#include <string_view>
#include <vector>

#include "seccomp_profile.hpp"

namespace seccomp::cache {

// A BPF program as seccomp(2) takes it: struct sock_filter, 8 bytes each.
using Program = std::vector<sock_filter>;

// Bump when what is stored, or how the key is made, changes.
inline constexpr std::string_view kFormat = "unshared seccomp cache 1";

// What the key is a hash of. inputs_here() fills the last two for this program.
struct Inputs {
    std::string_view profile;  // the profile's text
    Target target;             // what it is resolved for
    std::string libseccomp;    // "2.5.4"
    std::string build;         // this binary's build ID, hex; empty: none
};

// The inputs for `profile`'s text and `target`, in this process.
Inputs inputs_here(std::string_view profile, const Target& target);

// This binary's GNU build ID in hex (ld --build-id; Debian's gcc asks for it),
// or "" if it has none.
std::string build_id();

// 64 hex digits: SHA-256 of every input, each field length-prefixed so that no
// two different sets of inputs give the same bytes to hash.
std::string key_of(const Inputs& inputs);

// The file name of a key: "<key>.bpf".
std::string file_name(const std::string& key);

// What read() found.
struct Found {
    Program program;      // empty: nothing usable
    std::string refused;  // why a file that is there was not taken ("" if none was there)
};

// The program in `name` under the directory `dir`, if it is there and can
// be trusted (see above). Never throws: a cache that fails is a miss.
Found read(int dir, const std::string& name);

// Stores `program` as `name` under `dir`: written to a temporary file of
// its own (0600), then renamed over `name`, so that a reader sees the
// whole program or none. Throws std::system_error.
void write(int dir, const std::string& name, const Program& program);

}  // namespace seccomp::cache
