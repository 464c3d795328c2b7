#include "volume.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "error.hpp"
#include "inroot.hpp"
#include "spec.hpp"

namespace volume {

using error::UsageError;
namespace fs = std::filesystem;

namespace {

// "/data/" -> "/data"; "" if `path` is not absolute or has a ".." in it.
std::string plain_absolute(std::string_view path) {
    if (!path.starts_with('/')) return "";
    fs::path p(path);
    for (const fs::path& part : p)
        if (part == "..") return "";
    std::string normal = p.lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
}

// HOSTDIR must be a directory that exists: a bind mount of a missing path
// would fail inside the container's set-up, too late for a clear message.
void check_source(const Volume& v, const std::string& where) {
    struct stat st {};
    if (::stat(v.source.c_str(), &st) != 0)
        throw UsageError(fmt::format("{}: {} {}", where, v.source,
                                     errno == ENOENT
                                         ? "does not exist on the host"
                                         : std::string("cannot be used: ") + std::strerror(errno)));
    if (!S_ISDIR(st.st_mode))
        throw UsageError(fmt::format("{}: {} is not a directory", where, v.source));
}

// Why `path` is no place for a volume: it is on or under a filesystem the
// runtime mounts itself (/dev, /proc, /sys, /tmp), whose directory in the
// rootfs is not what the container will see. "" if it is a fine place.
std::string runtime_mount_at(std::string_view path, const mnt::Table& mounts) {
    for (const mnt::Mount& m : mounts) {
        if (m.how == mnt::Target::user_dir) continue;
        if (path == m.target || path.starts_with(m.target + "/"))
            return fmt::format(
                "{} is {} {}, where the runtime mounts its own {}: choose a "
                "directory of the rootfs",
                path, path == m.target ? "on" : "under", m.target,
                m.type.empty() ? "bind mount" : m.type);
    }
    return "";
}

// CONTAINERDIR, resolved in the rootfs (inroot::resolve), checked before and
// after its symlinks are expanded.
void check_target(const fd::Fd& root, const Volume& v, const mnt::Table& mounts,
                  const std::string& where) {
    if (std::string why = runtime_mount_at(v.target, mounts); !why.empty())
        throw UsageError(fmt::format("{}: {}", where, why));
    std::string resolved;
    try {
        resolved = inroot::resolve(root, v.target);
        inroot::open(root, resolved, inroot::Kind::directory);
    } catch (const std::runtime_error& e) {
        throw UsageError(fmt::format("{}: {}", where, e.what()));
    }
    if (resolved == "/")
        throw UsageError(fmt::format("{}: {} is the rootfs's own root", where, v.target));
    if (std::string why = runtime_mount_at(resolved, mounts); !why.empty())
        throw UsageError(fmt::format("{}: {} leads to {}", where, v.target, why));
    for (const mnt::Mount& m : mounts)
        if (m.how == mnt::Target::user_dir && inroot::resolve(root, m.target) == resolved)
            throw UsageError(fmt::format("{}: another -v is mounted on {}", where, resolved));
}

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option_function<std::vector<std::string>>(
           "-v,--volume",
           [&spec](const std::vector<std::string>& texts) {
               for (const std::string& text : texts) spec.volumes.push_back(parse(text));
           },
           "Bind the host directory HOSTDIR on CONTAINERDIR, a directory the rootfs\n"
           "has (repeatable); :ro makes it read-only. Both paths absolute.")
        ->allow_extra_args(false)
        ->type_name("HOSTDIR:CONTAINERDIR[:ro]");
}

void finish_options(spec::Spec& spec) {
    if (spec.volumes.empty()) return;
    fd::Fd root = inroot::open_directory(spec.rootfs.string());
    for (const Volume& v : spec.volumes) {
        std::string where = fmt::format("-v {}:{}", v.source, v.target);
        check_source(v, where);
        check_target(root, v, spec.mounts, where);
        spec.mounts.push_back(row(v));
    }
}

}  // namespace

Volume parse(std::string_view text) {
    std::vector<std::string_view> fields;
    for (size_t start = 0;;) {
        size_t colon = text.find(':', start);
        fields.push_back(text.substr(start, colon - start));
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    std::string where = fmt::format("-v {}", text);
    if (fields.size() < 2 || fields.size() > 3)
        throw UsageError(where + ": expected HOSTDIR:CONTAINERDIR or HOSTDIR:CONTAINERDIR:ro");
    Volume v{plain_absolute(fields[0]), plain_absolute(fields[1]), false};
    if (v.source.empty())
        throw UsageError(
            fmt::format("{}: HOSTDIR must be an absolute path without \"..\" "
                        "(for one in this directory: $PWD/{})",
                        where, fields[0]));
    if (v.target.empty())
        throw UsageError(fmt::format(
            "{}: CONTAINERDIR must be an absolute path without \"..\", as the container sees it",
            where));
    if (v.target == "/") throw UsageError(where + ": CONTAINERDIR cannot be /: that is the rootfs");
    if (fields.size() == 3) {
        if (fields[2] != "ro" && fields[2] != "rw")
            throw UsageError(fmt::format("{}: unknown mode '{}': use ro or rw", where, fields[2]));
        v.read_only = fields[2] == "ro";
    }
    return v;
}

mnt::Mount row(const Volume& v) {
    // MS_REC: the mounts under HOSTDIR come along (in a user namespace, a
    // bind that would leave them behind fails: they are locked to it).
    unsigned long flags = MS_BIND | MS_REC | (v.read_only ? MS_RDONLY : 0);
    return {v.target, v.source, "", flags, "", mnt::Target::user_dir, "07-user"};
}

const cli::Group options{"volume", add_options, finish_options};

}  // namespace volume
