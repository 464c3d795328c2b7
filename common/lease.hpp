// lease.hpp: claims on what containers must not share (chapter 06).
//
// Two containers running at once must never get the same address, nor
// publish the same host port. Each such thing is claimed by making a
// directory named after it in a pool of the state directory:
//
//   /run/unshared/net/leases/10.99.0.2/   hosts, resolv.conf (net.cpp writes them)
//   /run/unshared/net/ports/tcp-8080/
//
// mkdir(2) is atomic: of two runs making the same directory, one gets
// EEXIST. The holder then keeps flock(2) LOCK_EX on it for its whole life,
// and the kernel drops that lock when the holder dies, even by SIGKILL. So
// a claim nobody holds locked belongs to a dead run, and the next run that
// wants it takes it over, with no pid compared (a pid can be reused, a lock
// cannot outlive its holder: host.hpp says the same of journals).
//
// A run journals "own lease <path>" before it claims (host::Ledger), so its
// claim goes when it ends, or when the next run replays its journal.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "fd.hpp"
#include "ipv4.hpp"

namespace host {
class Ledger;
}

namespace lease {

// One claim, held (locked) while this object lives.
class Claim {
  public:
    Claim() = default;
    Claim(std::filesystem::path path, fd::Fd dir) : path_(std::move(path)), dir_(std::move(dir)) {}
    const std::filesystem::path& path() const { return path_; }
    const fd::Fd& dir() const { return dir_; }  // the directory, to make files in
    std::string name() const { return path_.filename().string(); }
    explicit operator bool() const { return dir_.valid(); }

  private:
    std::filesystem::path path_;
    fd::Fd dir_;  // flock(LOCK_EX) held: closing it gives the claim up
};

// Holds flock(2) LOCK_EX on <dir>/lock while it lives: the decisions that
// look at a pool and then change it ("is .2 free? then take it") are made
// under it, so that two runs never decide the same thing at once.
class Lock {
  public:
    Lock(const fd::Fd& dir, const std::filesystem::path& path);

  private:
    fd::Fd fd_;
};

// A directory of claims, created (0700) in `parent` if needed.
class Pool {
  public:
    Pool(const fd::Fd& parent, const std::filesystem::path& parent_path, std::string_view name);

    const std::filesystem::path& path() const { return path_; }
    const fd::Fd& dir() const { return dir_; }

    // True if `name` is free: never claimed, or claimed by a run now dead.
    // Call it under a Lock of the pool's parent to act on the answer.
    bool available(std::string_view name) const;

    // Journals "own <kind> <path>" in `ledger`, then claims `name` (taking
    // it over from a dead run if need be). nullopt if a live run holds it.
    std::optional<Claim> claim(host::Ledger& ledger, std::string_view kind,
                               std::string_view name) const;

  private:
    std::filesystem::path path_;
    fd::Fd dir_;
};

// The kind every claim is journalled under, and its undo: removes the
// claim's directory and files unless a live run holds it (a run that took
// it over from the dead one whose journal is being replayed).
inline constexpr std::string_view kKind = "lease";
void release(std::string_view path);
// The same for a claim with more to undo: `first(name)` runs before the
// directory goes, while the claim is ours (a port's DNAT element).
void release(std::string_view path, const std::function<void(std::string_view name)>& first);

// Registers the undo with host::register_kind (before any record or replay).
void register_undo();

// An address for a container in `subnet`: `wanted` if given, else the
// lowest free one. Throws error::UsageError when `wanted` is taken or the
// subnet is full (bad input: exit 2).
Claim take_address(host::Ledger& ledger, const Pool& leases, const ipv4::Subnet& subnet,
                   std::optional<ipv4::Address> wanted);

}  // namespace lease
