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
//               conditions for this container and build the filter, so that
//               a profile libseccomp refuses stops the run before anything
//               exists.
//   load()      in the child, the very last step before exec: after the
//               capabilities are dropped and no_new_privs is set, so the
//               filter need not allow the set-up's own calls, and so that
//               the kernel accepts it from an unprivileged process.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "options.hpp"
#include "seccomp_profile.hpp"

namespace seccomp {

// What --seccomp-profile chose (spec.seccomp).
struct Settings {
    std::string choice = "default";  // FILE, "default" or "unconfined", as given
    bool confined = false;           // false: no filter (unconfined, or a chapter before 10)
    Profile profile;                 // the profile, parsed when the options were read
};

// The option group: --seccomp-profile FILE|default|unconfined.
extern const cli::Group options;

// The settings for a --seccomp-profile value (FILE, "default" or
// "unconfined"), its profile read and parsed; error::UsageError if it cannot be.
Settings settings_for(const std::string& choice);

// A filter built for one container, ready to load. Owns libseccomp's
// context (seccomp_release(3) when it goes). An empty Filter is "no filter".
class Filter {
  public:
    Filter() = default;
    Filter(Filter&& other) noexcept;
    Filter& operator=(Filter&& other) noexcept;
    Filter(const Filter&) = delete;
    Filter& operator=(const Filter&) = delete;
    ~Filter();

    bool empty() const { return context_ == nullptr; }
    void* context() const { return context_; }  // scmp_filter_ctx

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
// (its final set, from chapter 09) on this machine, and builds the filter.
// Unconfined: an empty Filter. Narrated under --explain. A profile that
// libseccomp refuses (an unknown architecture, two rules with the same
// argument tests and different actions) is an error::UsageError.
Filter prepare(const Settings& settings, const Capabilities& capabilities);

// The filter for an already resolved profile (tests resolve for a Target of
// their choosing). Names unknown to libseccomp are skipped, as Docker does
// (a newer kernel's calls then get the default action); so are rules whose
// action is the default action (libseccomp refuses them; runc skips them).
// Rules an earlier rule without argument tests overrides are listed in
// `shadowed`: libseccomp accepts them without effect, and so does Docker.
Filter build(const Resolved& resolved);

// In the child, last: seccomp_load(3), which installs the filter for this
// process and every process it starts; no one can remove it. An empty
// Filter loads nothing. The kernel refuses a filter from a process that has
// neither no_new_privs nor CAP_SYS_ADMIN (EACCES): otherwise a filter could
// make a set-uid program fail in the middle of what it does, as root.
void load(const Filter& filter);

}  // namespace seccomp
