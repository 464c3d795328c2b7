#include "inroot.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "error.hpp"

namespace inroot {
namespace {

// openat2(2): RESOLVE_IN_ROOT makes `root` the "/" of the lookup, so "..",
// absolute paths and absolute symlinks cannot climb out of it;
// RESOLVE_NO_SYMLINKS refuses every symlink (and magic link) on the way,
// the last component included (ELOOP).
int openat2_in_root(int root, const std::string& relative, int flags, bool symlinks = false) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | (symlinks ? 0 : RESOLVE_NO_SYMLINKS);
    long rc;
    do rc = ::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how);
    while (rc < 0 && errno == EAGAIN);  // the kernel asks for a retry on a rename race
    return static_cast<int>(rc);
}

// "/dev/pts" -> "dev/pts": openat2 takes paths relative to the root fd.
std::string relative(std::string_view path) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    return path.empty() ? std::string(".") : std::string(path);
}

const char* kind_name(Kind kind) {
    return kind == Kind::directory ? "a directory" : "a regular file";
}

std::string link_target(int dir, const std::string& name) {
    char target[4096];
    ssize_t n = ::readlinkat(dir, name.c_str(), target, sizeof target - 1);
    return n < 0 ? "?" : std::string(target, static_cast<size_t>(n));
}

// Walks `path` one component at a time, without following anything, to
// name the first component that is missing, a symlink, or unreadable.
std::string walk_problem(int root, std::string_view path) {
    std::string rel = relative(path), walked;
    fd::Fd dir{::fcntl(root, F_DUPFD_CLOEXEC, 0)};
    size_t start = 0;
    while (start < rel.size() && rel != ".") {
        size_t end = rel.find('/', start);
        std::string name = rel.substr(start, end - start);
        walked += "/" + name;
        struct stat st {};
        if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            return fmt::format("{} {}", walked,
                               errno == ENOENT
                                   ? "does not exist"
                                   : fmt::format("cannot be read: {}", std::strerror(errno)));
        if (S_ISLNK(st.st_mode))
            return fmt::format(
                "{} is a symlink (to {}): unshared does not follow symlinks "
                "where it mounts, as they may lead out of the rootfs",
                walked, link_target(dir.get(), name));
        if (end == std::string::npos) break;
        int next = ::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) return fmt::format("{} is not a directory", walked);
        dir = fd::Fd{next};
        start = end + 1;
    }
    return "";
}

std::string type_problem(const fd::Fd& opened, std::string_view path, Kind kind) {
    struct stat st {};
    error::check_syscall(::fstat(opened.get(), &st), fmt::format("fstat(\"{}\")", path));
    bool ok = kind == Kind::directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
    if (ok) return "";
    const char* what = S_ISDIR(st.st_mode)   ? "a directory"
                       : S_ISREG(st.st_mode) ? "a regular file"
                                             : "a special file";
    return fmt::format("{} is {}, not {}", path, what, kind_name(kind));
}

}  // namespace

std::string problem(const fd::Fd& root, std::string_view path, Kind kind) {
    int raw = openat2_in_root(root.get(), relative(path), O_PATH);
    if (raw < 0) {
        int err = errno;
        std::string why = walk_problem(root.get(), path);
        return why.empty() ? fmt::format("{} cannot be opened: {}", path, std::strerror(err)) : why;
    }
    return type_problem(fd::Fd{raw}, path, kind);
}

fd::Fd open(const fd::Fd& root, std::string_view path, Kind kind) {
    int raw = openat2_in_root(root.get(), relative(path), O_PATH);
    if (raw < 0) throw std::runtime_error(problem(root, path, kind));
    fd::Fd opened{raw};
    if (std::string why = type_problem(opened, path, kind); !why.empty())
        throw std::runtime_error(why);
    return opened;
}

fd::Fd open_if_present(const fd::Fd& root, std::string_view path, Kind& kind) {
    int raw = openat2_in_root(root.get(), relative(path), O_PATH);
    if (raw < 0 && errno == ENOENT) return fd::Fd{};
    if (raw < 0) throw std::runtime_error(problem(root, path, Kind::regular_file));
    fd::Fd opened{raw};
    struct stat st {};
    error::check_syscall(::fstat(opened.get(), &st), fmt::format("fstat(\"{}\")", path));
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        throw std::runtime_error(fmt::format("{} is neither a directory nor a file", path));
    kind = S_ISDIR(st.st_mode) ? Kind::directory : Kind::regular_file;
    return opened;
}

fd::Fd make(const fd::Fd& root, std::string_view path, Kind kind, mode_t mode) {
    std::string rel = relative(path);
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "/" : "/" + rel.substr(0, slash);
    std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    // An O_PATH fd serves as the dirfd of mkdirat(2) and openat(2).
    fd::Fd dir = open(root, parent, Kind::directory);
    if (kind == Kind::directory) {
        error::check_syscall(::mkdirat(dir.get(), name.c_str(), mode),
                             fmt::format("mkdir(\"{}\")", path));
    } else {
        // O_EXCL|O_NOFOLLOW: never open something that was already there.
        int file = error::check_syscall(
            ::openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
                     mode),
            fmt::format("open(\"{}\", O_CREAT|O_EXCL)", path));
        ::close(file);
    }
    return open(root, path, kind);
}

std::string resolve(const fd::Fd& root, std::string_view path) {
    constexpr int kMaxLinks = 40;  // path_resolution(7): Linux's limit, too
    std::vector<std::string> done, todo;
    auto push = [&todo](std::string_view text) {
        std::vector<std::string> parts;
        for (size_t start = 0; start <= text.size();) {
            size_t end = std::min(text.find('/', start), text.size());
            if (end > start) parts.emplace_back(text.substr(start, end - start));
            start = end + 1;
        }
        todo.insert(todo.end(), parts.rbegin(), parts.rend());  // a stack: next at the back
    };
    auto joined = [&done] {
        std::string p;
        for (const std::string& name : done) p += "/" + name;
        return p.empty() ? std::string("/") : p;
    };
    push(path);
    int links = 0;
    std::string via;  // the last symlink followed, for the message
    while (!todo.empty()) {
        std::string name = std::move(todo.back());
        todo.pop_back();
        if (name == ".") continue;
        if (name == "..") {
            // The kernel would stop at the root (RESOLVE_IN_ROOT); a rootfs
            // whose links try to go higher is hostile or broken: refuse.
            if (done.empty())
                throw std::runtime_error(
                    via.empty() ? fmt::format("{}: \"..\" climbs out of the rootfs", path)
                                : fmt::format("{} leads out of the rootfs: unshared will not "
                                              "mount there",
                                              via));
            done.pop_back();
            continue;
        }
        fd::Fd dir = open(root, joined(), Kind::directory);
        std::string here = (done.empty() ? "" : joined()) + "/" + name;
        struct stat st {};
        if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw std::runtime_error(
                errno == ENOENT ? fmt::format("{} does not exist in the rootfs", here)
                                : fmt::format("{} cannot be read: {}", here, std::strerror(errno)));
        if (!S_ISLNK(st.st_mode)) {
            done.push_back(name);
            continue;
        }
        if (++links > kMaxLinks)
            throw std::runtime_error(fmt::format("{}: more than {} symlinks", path, kMaxLinks));
        std::string target = link_target(dir.get(), name);
        via = fmt::format("{} is a symlink (to {}) that", here, target);
        if (target.starts_with('/')) done.clear();  // absolute: from the rootfs's "/"
        push(target);
    }
    return joined();
}

bool exists(const fd::Fd& root, std::string_view path) {
    fd::Fd found{openat2_in_root(root.get(), relative(path), O_PATH, true)};
    return found.valid();
}

std::string read_file(const fd::Fd& root, std::string_view path, size_t limit) {
    // O_NONBLOCK: a FIFO planted at `path` must not hang the runtime in open(2).
    int raw = openat2_in_root(root.get(), relative(path), O_RDONLY | O_NONBLOCK | O_NOCTTY, true);
    if (raw < 0) throw std::runtime_error(fmt::format("{}: {}", path, std::strerror(errno)));
    fd::Fd file{raw};
    if (std::string why = type_problem(file, path, Kind::regular_file); !why.empty())
        throw std::runtime_error(why);
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(file.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw std::runtime_error(fmt::format("read(\"{}\"): {}", path, std::strerror(errno)));
        if (n == 0) return text;
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > limit)
            throw std::runtime_error(
                fmt::format("{} is bigger than {} bytes: unshared will not read it", path, limit));
    }
}

std::string fd_path(const fd::Fd& fd) {
    return fmt::format("/proc/self/fd/{}", fd.get());
}

fd::Fd open_directory(const std::string& path) {
    return fd::Fd{error::check_syscall(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC),
                                       fmt::format("open(\"{}\")", path))};
}

}  // namespace inroot
