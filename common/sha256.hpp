// sha256.hpp: SHA-256 (FIPS 180-4), for the names of chapter 10's cached filters.
//
// seccomp_cache.hpp keeps each compiled BPF program under the hash of what
// decided it. The hash must be one nobody can find a second input for
// (SHA-256: no collision known): an input that hashed like another would be
// handed the other one's filter. A small implementation of the standard, so
// that the static binaries need not link libcrypto (several hundred KB of
// text, and its init) for 32 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sha256 {

using Digest = std::array<std::uint8_t, 32>;

// Hashes a message given in pieces: update() any number of times, then digest() once.
class Hasher {
  public:
    Hasher();
    void update(std::string_view bytes);
    Digest digest();

  private:
    void compress(const std::uint8_t* block);  // one 64-byte block into state_

    std::array<std::uint32_t, 8> state_;
    std::array<std::uint8_t, 64> block_{};
    std::size_t used_ = 0;      // bytes waiting in block_
    std::uint64_t length_ = 0;  // bytes hashed so far
};

// The digest as 64 lowercase hex digits.
std::string hex(const Digest& digest);

// hex(SHA-256(bytes)).
std::string of(std::string_view bytes);

}  // namespace sha256
