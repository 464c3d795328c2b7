// apparmor.hpp: chapter 11, a mandatory access control profile for the container.
//
// AppArmor (apparmor(7)) is a Linux Security Module: the kernel checks what
// a confined process does (open a path, mount, signal or ptrace another
// process, use a capability) against the rules of its *profile*, a text
// file compiled and loaded by apparmor_parser(8). Unlike capabilities or
// seccomp, the rules name objects (paths, peers), and unlike Landlock they
// are written and loaded by the administrator, not by the program itself.
// A task's profile is its "label": /proc/PID/attr/current reads
// "unshared-default (enforce)", or "unconfined".
//
// unshared's profile, profiles/apparmor/unshared-default, is in the spirit
// of Docker's docker-default: everything a program normally does is allowed
// (files, network, capabilities), but no mount, umount or pivot_root, no
// write to /proc/sys or /sys, no look at /proc/kcore, and no ptrace or
// signal across the container's edge. Each of those is already stopped by
// another mechanism of 01-11; the profile holds on its own when they are
// switched off (defence in depth, design.md section 11).
//
// --security-opt apparmor=... (as `docker run` spells it):
//   (not given)   unshared-default when AppArmor is enabled and that profile
//                 is loaded. Enabled but not loaded: one line says how to
//                 load it, and the container starts without it. AppArmor
//                 not enabled (this project's CI machine): nothing, said
//                 under --explain only, since there is nothing to fix.
//   PROFILE       that profile; AppArmor off or PROFILE not loaded is bad
//                 input (exit 2), never a silent unconfined container.
//   unconfined    no profile.
//
// How the profile is put on: the kernel's interface is a write to the
// task's attr file, /proc/thread-self/attr/apparmor/current (Linux 5.1,
// the file of AppArmor's own, whatever other LSMs share attr/current) or,
// on older kernels, /proc/self/attr/current:
//   "changeprofile NAME"  aa_change_profile(2): now, for this task;
//   (attr/exec) "exec NAME"  aa_change_onexec(2): at this task's next execve(2).
// runc uses the second, just before it execs the user's command. Here the
// container's PID 1 is our init (pid.hpp), a fork of the runtime that never
// execs: confined "on exec", it would stay unconfined, and a process that
// ptraces or signals PID 1 would face no profile. So the child changes
// profile at once, and every process of the container, PID 1 included,
// inherits it through fork(2) and keeps it across execve(2) (the profile's
// `file` rule lets it run any program under the same profile, "ix").
//
// When: after the root and every mount are in place (the profile denies
// mount: our own set-up must be done), and before no_new_privs. Once
// no_new_privs is set, AppArmor lets a task change profile only from
// unconfined or to a subset of its label (security/apparmor/domain.c).
// From an unconfined runtime the change works either way (tried in the VM
// lane: the same label after no_new_privs), but a runtime that itself runs
// under a profile (a snap's, say) would be refused; runc moved its change
// before no_new_privs for that reason. Landlock and seccomp stay last.
#pragma once

#include <string>

#include "options.hpp"

namespace apparmor {

inline constexpr const char* kDefaultProfile = "unshared-default";

struct Settings {
    std::string given = "default";  // --security-opt apparmor=VALUE, as given
    std::string profile;            // the profile to confine with; empty: none
    // The default where the list of profiles could not be read (a user who
    // is not root may not): the kernel says whether it has the profile, and
    // if not, `notice` is said instead of an error.
    bool optional = false;
    std::string notice;  // said instead when the default cannot be had
    std::string absent;  // said under --explain only: why no profile
};

// AppArmor is built in and enabled at boot: /sys/module/apparmor/parameters/enabled
// reads "Y" (as libapparmor's aa_is_enabled(2) checks first).
bool enabled();

// Whether `profile` is loaded: its name starts a line of
// /sys/kernel/security/apparmor/profiles ("NAME (enforce)"). Throws
// std::system_error when that list cannot be read (securityfs not
// mounted; EACCES for a user who is not root).
bool loaded(const std::string& profile);

// In the child, after pivot_root and the mounts, before no_new_privs: the
// profile of `settings` for this process and all it starts. Reads the
// label back and fails if the kernel did not put it on.
void confine(const Settings& settings);

// The option group: --security-opt apparmor=PROFILE|unconfined. Its finish
// looks at this kernel and its loaded profiles (on the host, before any
// namespace), so that a bad choice is an error before anything is made.
extern const cli::Group options;

}  // namespace apparmor
