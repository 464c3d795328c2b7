// seccomp.hpp: chapter 10, a filter on the container's system calls.
//
// Namespaces change what a process sees, capabilities what it may do; both
// leave the whole system-call interface of the kernel in reach, and the
// kernel's bugs with it. seccomp-bpf (seccomp(2), Linux 3.5) puts a small
// program in front of it: on every system call the kernel runs the filter on
// the call's number, its architecture and its six argument registers, and
// the filter answers allow, fail with an errno, log, trap or kill.
//
// The filter is built with libseccomp (writing BPF by hand teaches BPF, not
// seccomp) from a profile in Docker's format (seccomp_profile.hpp):
//   prepare()   outside, before the container starts: decide the profile's
//               conditions for this container, build the filter, and have
//               libseccomp write its BPF program (seccomp_export_bpf(3)),
//               so that a profile libseccomp refuses stops the run before
//               anything exists. The program is kept in the state directory
//               (seccomp_cache.hpp): the next run with the same profile on
//               the same machine loads it as it is, and builds nothing.
//   load()      in the child, the very last step before exec: hands the
//               program to the kernel, seccomp(2), and nothing else (no
//               libseccomp: what it would do there is generating the
//               program, in memory the child shares copy-on-write with the
//               runtime). After the capabilities are dropped and
//               no_new_privs is set, so the filter need not allow the
//               set-up's own calls, and so that the kernel accepts it from
//               an unprivileged process.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "options.hpp"
#include "seccomp_cache.hpp"
#include "seccomp_profile.hpp"

namespace seccomp {

// What --seccomp-profile chose (spec.seccomp).
struct Settings {
    std::string choice = "default";  // FILE, "default" or "unconfined", as given
    bool confined = false;           // false: no filter (unconfined, or a chapter before 10)
    std::string text;                // its JSON, byte for byte (the cache's key)
    // A FILE's profile, parsed when the options were read (bad input is then
    // a usage error before anything runs). Empty for "default": that one is
    // compiled in and known good, and parsed only if its program is not in
    // the cache (0.5 ms a run otherwise). profile_of() gives either.
    Profile profile;
    // Where prepare() keeps compiled programs: <state_dir>/seccomp (the
    // runtime's --state-dir). Empty: no cache, every run builds the filter.
    std::filesystem::path state_dir;
};

// The profile of `settings`: settings.profile, or the default profile.
const Profile& profile_of(const Settings& settings);

// The option group: --seccomp-profile FILE|default|unconfined.
extern const cli::Group options;

// The settings for a --seccomp-profile value (FILE, "default" or
// "unconfined"), its profile read and parsed; error::UsageError if it cannot be.
Settings settings_for(const std::string& choice);

// A filter for one container, ready to load: its BPF program, and, while it
// is being built, libseccomp's context (seccomp_release(3) when it goes). An
// empty Filter (neither) is "no filter".
class Filter {
  public:
    Filter() = default;
    Filter(Filter&& other) noexcept;
    Filter& operator=(Filter&& other) noexcept;
    Filter(const Filter&) = delete;
    Filter& operator=(const Filter&) = delete;
    ~Filter();

    bool empty() const { return context_ == nullptr && program.empty(); }
    void* context() const { return context_; }  // scmp_filter_ctx; null once released
    // Releases libseccomp's context, and its rules: load() needs only the program.
    void release_context();

    // What load() hands the kernel: the program, and the flags of
    // seccomp(SECCOMP_SET_MODE_FILTER) (SECCOMP_FILTER_FLAG_*) that stand for
    // the attributes set_attributes() gave the context (see seccomp.cpp).
    cache::Program program;
    unsigned flags = 0;
    std::string cached;  // the cache file the program came from, "" if built here

    // What it is, for --explain and messages: "default (profiles/default.json):
    // 372 rules, default SCMP_ACT_ERRNO(EPERM)".
    std::string summary;
    // The same from a shell, for --explain: "docker run --security-opt seccomp=FILE".
    std::string shell;
    std::vector<std::string> unknown_names;  // names libseccomp does not know, skipped
    std::vector<std::string> shadowed;       // rules that never apply (see seccomp.cpp)
    size_t rules_added = 0;

    // Takes over a libseccomp context (seccomp_init(3)).
    explicit Filter(void* context) : context_(context) {}

  private:
    void* context_ = nullptr;
};

// Outside: resolves `settings`' profile for a container with `capabilities`
// (its final set, from chapter 09) on this machine, and builds the filter;
// or finds its program in the cache (settings.state_dir), and builds
// nothing. Unconfined: an empty Filter. Narrated under --explain. A profile that
// libseccomp refuses (an unknown architecture, two rules with the same
// argument tests and different actions) is an error::UsageError.
Filter prepare(const Settings& settings, const Capabilities& capabilities);

// The filter for an already resolved profile (tests resolve for a Target of
// their choosing). Names unknown to libseccomp are skipped, as Docker does
// (a newer kernel's calls then get the default action); so are rules whose
// action is the default action (libseccomp refuses them; runc skips them).
// Rules an earlier rule without argument tests overrides are listed in
// `shadowed`: libseccomp accepts them without effect, and so does Docker.
// The program is generated too (compile()); the context stays, for tests.
Filter build(const Resolved& resolved);

// Has libseccomp write the context's BPF program into filter.program
// (seccomp_export_bpf(3)), again after a change to the context's attributes.
void compile(Filter& filter);

// In the child, last: seccomp(SECCOMP_SET_MODE_FILTER), which installs the
// program for this process and every process it starts; no one can remove
// it. No libseccomp, no memory allocated: only the system call. An empty
// Filter loads nothing. The kernel refuses a filter from a process that has
// neither no_new_privs nor CAP_SYS_ADMIN (EACCES): otherwise a filter could
// make a set-uid program fail in the middle of what it does, as root.
void load(const Filter& filter);

}  // namespace seccomp
