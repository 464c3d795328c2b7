// apparmor.cpp: the container's AppArmor profile (see apparmor.hpp).
//
// No libapparmor: its aa_change_profile(2) is a write of "changeprofile
// NAME" to the attr file, and aa_is_enabled(2) starts with a read of a
// module parameter. Those few file operations are the kernel's interface,
// which is what the lesson is about; the library would hide them.
#include "apparmor.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <fstream>
#include <string_view>
#include <system_error>

#include "error.hpp"
#include "explain.hpp"
#include "fd.hpp"
#include "say.hpp"
#include "spec.hpp"

#ifndef UNSHARED_APPARMOR_PROFILE
#define UNSHARED_APPARMOR_PROFILE "profiles/apparmor/unshared-default"
#endif

namespace apparmor {

namespace {

using error::check_syscall;

constexpr const char* kEnabled = "/sys/module/apparmor/parameters/enabled";
constexpr const char* kProfiles = "/sys/kernel/security/apparmor/profiles";
// AppArmor's own attr directory (Linux 5.1), then the one every LSM shared
// before: with several LSMs, attr/current belongs to the first of them.
constexpr const char* kAttrFiles[] = {"/proc/thread-self/attr/apparmor/current",
                                      "/proc/self/attr/current"};

std::string first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// The attr file this kernel has, opened for `flags`.
fd::Fd open_attr(int flags, std::string& path) {
    for (const char* candidate : kAttrFiles) {
        int raw = ::open(candidate, flags | O_CLOEXEC);
        if (raw >= 0) {
            path = candidate;
            fd::Fd attr{raw};
            // The container's /proc came from a rootfs we do not trust: a
            // write meant for the kernel must reach procfs, not a file a
            // mount put there (runc's CVE-2019-16884). statfs(2) says which.
            struct statfs fs {};
            check_syscall(::fstatfs(attr.get(), &fs), fmt::format("fstatfs(\"{}\")", path));
            if (fs.f_type != PROC_SUPER_MAGIC)
                throw std::runtime_error(
                    fmt::format("{}: not on procfs (f_type {:#x}): refusing to write a "
                                "profile change there",
                                path, static_cast<unsigned long>(fs.f_type)));
            return attr;
        }
        if (errno != ENOENT) check_syscall(raw, fmt::format("open(\"{}\")", candidate));
    }
    throw error::syscall_error(ENOENT, fmt::format("open(\"{}\")", kAttrFiles[1]));
}

// This task's label, as the kernel says it: "unshared-default (enforce)".
std::string current_label() {
    std::string path;
    fd::Fd attr = open_attr(O_RDONLY, path);
    char buf[256];
    ssize_t n =
        check_syscall(::read(attr.get(), buf, sizeof buf - 1), fmt::format("read(\"{}\")", path));
    std::string label(buf, static_cast<size_t>(n));
    while (!label.empty() && (label.back() == '\n' || label.back() == '\0')) label.pop_back();
    return label;
}

// The one line an error or the notice gives to load a profile.
std::string how_to_load(const std::string& profile) {
    std::string file = profile == kDefaultProfile ? UNSHARED_APPARMOR_PROFILE : "FILE";
    return fmt::format("load it as root: apparmor_parser -r {}", file);
}

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option_function<std::string>(
           "--security-opt",
           [&spec](const std::string& given) {
               constexpr std::string_view key = "apparmor=";
               if (given.rfind(key, 0) != 0)
                   throw error::UsageError(fmt::format(
                       "--security-opt {}: only apparmor=PROFILE|unconfined here (Docker's "
                       "others are options of their own: --seccomp-profile, "
                       "--no-new-privileges, --no-masked-paths)",
                       given));
               spec.apparmor.given = given.substr(key.size());
           },
           "The AppArmor profile of every process of the container (apparmor(7)): a loaded\n"
           "PROFILE, or unconfined. Default: unshared-default where AppArmor is enabled\n"
           "and that profile is loaded (profiles/apparmor/unshared-default).")
        ->type_name("apparmor=PROFILE|unconfined");
}

void finish_options(spec::Spec& spec) {
    Settings& s = spec.apparmor;
    const std::string& name = s.given;
    if (name == "unconfined") {
        s.absent = "apparmor: unconfined (--security-opt apparmor=unconfined): no profile";
        return;
    }
    bool by_default = name == "default";
    std::string profile = by_default ? kDefaultProfile : name;
    if (profile.empty() || profile.find_first_of(" \t\n\r") != std::string::npos)
        throw error::UsageError(
            fmt::format("--security-opt apparmor={}: a profile's name, without spaces", name));
    if (!enabled()) {
        if (!by_default)
            throw error::UsageError(fmt::format(
                "--security-opt apparmor={}: AppArmor is not enabled on this kernel ({} is "
                "not \"Y\"); use apparmor=unconfined, or boot with apparmor=1",
                name, kEnabled));
        s.absent = fmt::format("apparmor: not enabled on this kernel ({}): no profile", kEnabled);
        return;
    }
    std::string not_loaded = fmt::format(
        "{}: the AppArmor profile {} is not loaded: the container starts without it ({})",
        spec.program, profile, how_to_load(profile));
    try {
        if (loaded(profile)) {
            s.profile = profile;
        } else if (by_default) {
            s.notice = not_loaded;
        } else {
            throw error::UsageError(
                fmt::format("--security-opt apparmor={}: no such profile is loaded ({}; see {})",
                            name, how_to_load(profile), kProfiles));
        }
    } catch (const std::system_error&) {
        // The list cannot be read here: the change of profile will tell.
        s.profile = profile;
        s.optional = by_default;
        s.notice = not_loaded;
    }
}

}  // namespace

bool enabled() {
    return first_line(kEnabled) == "Y";
}

bool loaded(const std::string& profile) {
    std::ifstream in(kProfiles);
    if (!in) throw error::syscall_error(errno, fmt::format("open(\"{}\")", kProfiles));
    // One line per profile: "NAME (MODE)"; a name may hold spaces, a mode not.
    for (std::string line; std::getline(in, line);) {
        size_t mode = line.rfind(" (");
        if (mode != std::string::npos && line.compare(0, mode, profile) == 0 &&
            mode == profile.size())
            return true;
    }
    return false;
}

void confine(const Settings& s) {
    if (!s.absent.empty()) explain::note(s.absent);
    if (s.profile.empty()) {
        if (!s.notice.empty()) say::line(s.notice);
        return;
    }
    std::string path;
    fd::Fd attr = open_attr(O_WRONLY, path);
    // One write(2) of the whole command: the kernel parses it as one request.
    std::string command = "changeprofile " + s.profile;
    std::string call = fmt::format("write(\"{}\", \"{}\")", path, command);
    explain::step({call,
                   fmt::format("aa-exec -p {0} -- CMD   # or: echo 'changeprofile {0}' > "
                               "/proc/self/attr/current",
                               s.profile),
                   "apparmor(7), aa_change_profile(2), aa-exec(1)"});
    ssize_t n = ::write(attr.get(), command.data(), command.size());
    if (n < 0) {
        int err = errno;
        if (err == ENOENT && s.optional) {  // no such profile: the default is not loaded
            say::line(s.notice);
            return;
        }
        std::string hint = err == ENOENT   ? how_to_load(s.profile)
                           : err == EPERM  ? "is no_new_privs already set, or the runtime "
                                             "itself confined?"
                           : err == EACCES ? "is the runtime itself confined by a profile "
                                             "without a change_profile rule?"
                                           : "";
        throw error::syscall_error(err,
                                   hint.empty() ? call : fmt::format("{} (hint: {})", call, hint));
    }
    std::string label = current_label();
    explain::note("apparmor: this process is now " + label);
    if (label.rfind(s.profile + " (", 0) != 0)
        throw std::runtime_error(
            fmt::format("{}: the label reads \"{}\", not {}", call, label, s.profile));
}

const cli::Group options{"apparmor", add_options, finish_options};

}  // namespace apparmor
