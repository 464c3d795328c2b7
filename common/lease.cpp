#include "lease.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <memory>

#include "error.hpp"
#include "explain.hpp"
#include "host.hpp"

namespace lease {

using error::check_syscall;
namespace fs = std::filesystem;

namespace {

// How often a claim is tried again when it vanished under us (a replay
// released it between our open and our flock): once is nearly always enough.
constexpr int kAttempts = 8;

fd::Fd open_dir(int at, const std::string& name, const fs::path& shown) {
    int raw = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw == -1 && errno == ENOENT) return fd::Fd{};
    return fd::Fd{check_syscall(raw, fmt::format("open(\"{}\", O_DIRECTORY)", shown.string()))};
}

// flock(2) LOCK_EX|LOCK_NB: false if a live holder has it.
bool try_lock(const fd::Fd& dir, const fs::path& shown) {
    if (::flock(dir.get(), LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    throw error::syscall_error(errno, fmt::format("flock(\"{}\", LOCK_EX)", shown.string()));
}

// A directory removed while we waited for its lock has no link left.
bool still_there(const fd::Fd& dir, const fs::path& shown) {
    struct stat st {};
    check_syscall(::fstat(dir.get(), &st), fmt::format("fstat(\"{}\")", shown.string()));
    return st.st_nlink > 0;
}

// Removes the files in a claim's directory (what net.cpp wrote there).
void empty_dir(const fd::Fd& dir, const fs::path& shown) {
    int raw = check_syscall(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                            fmt::format("open(\"{}\")", shown.string()));
    std::unique_ptr<DIR, int (*)(DIR*)> stream{::fdopendir(raw), ::closedir};
    if (!stream) {
        ::close(raw);
        throw error::syscall_error(errno, fmt::format("fdopendir(\"{}\")", shown.string()));
    }
    while (const dirent* entry = ::readdir(stream.get())) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        if (::unlinkat(dir.get(), name.c_str(), 0) == -1 && errno != ENOENT)
            throw error::syscall_error(errno,
                                       fmt::format("unlink(\"{}\")", (shown / name).string()));
    }
}

}  // namespace

Lock::Lock(const fd::Fd& dir, const fs::path& path) {
    fs::path shown = path / ".lock";
    fd_ = fd::Fd{
        check_syscall(::openat(dir.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600),
                      fmt::format("open(\"{}\")", shown.string()))};
    while (::flock(fd_.get(), LOCK_EX) == -1) {
        if (errno != EINTR)
            throw error::syscall_error(errno, fmt::format("flock(\"{}\")", shown.string()));
    }
}

Pool::Pool(const fd::Fd& parent, const fs::path& parent_path, std::string_view name)
    : path_(parent_path / name) {
    std::string n(name);
    if (::mkdirat(parent.get(), n.c_str(), 0700) == -1 && errno != EEXIST)
        throw error::syscall_error(errno, fmt::format("mkdir(\"{}\")", path_.string()));
    dir_ = open_dir(parent.get(), n, path_);
    if (!dir_) throw error::syscall_error(ENOENT, fmt::format("open(\"{}\")", path_.string()));
    // A claim's directory may hold files a container binds (06-net's
    // /etc/hosts), which its root, another uid from 07 on, must reach.
    host::search_only_for_others(dir_, path_);
}

bool Pool::available(std::string_view name) const {
    fd::Fd dir = open_dir(dir_.get(), std::string(name), path_ / name);
    return !dir || try_lock(dir, path_ / name);  // closing `dir` drops the probe's lock
}

std::optional<Claim> Pool::claim(host::Ledger& ledger, std::string_view kind,
                                 std::string_view name) const {
    std::string n(name);
    fs::path path = path_ / name;
    // Journalled first: a SIGKILL right after the mkdir must not leave a
    // claim that no journal names (host.hpp: record, then make).
    ledger.record(kind, path.string());
    explain::step({fmt::format("mkdir(\"{}\") + flock(LOCK_EX)", path.string()),
                   fmt::format("mkdir {0} && exec 9<{0} && flock -n 9", path.string()),
                   "mkdir(2), flock(2)"});
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        bool made = ::mkdirat(dir_.get(), n.c_str(), 0700) == 0;
        if (!made && errno != EEXIST)
            throw error::syscall_error(errno, fmt::format("mkdir(\"{}\")", path.string()));
        fd::Fd dir = open_dir(dir_.get(), n, path);
        if (!dir) continue;                             // released meanwhile: again
        if (!try_lock(dir, path)) return std::nullopt;  // a live run holds it
        if (!still_there(dir, path)) continue;          // released meanwhile: again
        if (!made) empty_dir(dir, path);                // a dead run's: taken over
        host::search_only_for_others(dir, path);        // see Pool::Pool
        return Claim{path, std::move(dir)};
    }
    throw error::syscall_error(EAGAIN, fmt::format("claim \"{}\"", path.string()));
}

void release(std::string_view path) {
    release(path, {});
}

void release(std::string_view path_text, const std::function<void(std::string_view)>& first) {
    fs::path path{path_text};
    fd::Fd dir = open_dir(AT_FDCWD, path.string(), path);
    if (!dir) return;                  // gone already, or never made
    if (!try_lock(dir, path)) return;  // a live run took it over: it is theirs now
    if (!still_there(dir, path)) return;
    if (first) first(path.filename().string());
    explain::step({fmt::format("rmdir(\"{}\")", path.string()),
                   fmt::format("rm -r {}", path.string()), "rmdir(2)"});
    empty_dir(dir, path);
    if (::rmdir(path.c_str()) == -1 && errno != ENOENT)
        throw error::syscall_error(errno, fmt::format("rmdir(\"{}\")", path.string()));
}

void register_undo() {
    host::register_kind(kKind, static_cast<void (*)(std::string_view)>(release));
}

Claim take_address(host::Ledger& ledger, const Pool& leases, const ipv4::Subnet& subnet,
                   std::optional<ipv4::Address> wanted) {
    Lock lock{leases.dir(), leases.path()};
    if (wanted) {
        std::optional<Claim> claim = leases.available(wanted->str())
                                         ? leases.claim(ledger, kKind, wanted->str())
                                         : std::nullopt;
        if (!claim)
            throw error::UsageError(
                fmt::format("--ip {}: another container has that address (see {})", wanted->str(),
                            leases.path().string()));
        return std::move(*claim);
    }
    for (uint32_t a = subnet.first_host().value; a <= subnet.last_host().value; ++a) {
        std::string name = ipv4::Address{a}.str();
        if (!leases.available(name)) continue;
        if (std::optional<Claim> claim = leases.claim(ledger, kKind, name))
            return std::move(*claim);
    }
    throw error::UsageError(fmt::format(
        "--subnet {}: no free address: its {} {} leased to running containers (see {})",
        subnet.str(), subnet.host_count(),
        subnet.host_count() == 1 ? "address is" : "addresses are", leases.path().string()));
}

}  // namespace lease
