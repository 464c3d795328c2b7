// Unit tests of chapter 10's cache of compiled filters (common/seccomp_cache.hpp):
// SHA-256 against the standard's own examples, a key that changes with every
// input that decides the program, and a cache file refused whenever it could
// have been written by someone else or is not a program.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/caps.hpp"
#include "common/fd.hpp"
#include "common/seccomp.hpp"
#include "common/seccomp_cache.hpp"
#include "common/sha256.hpp"

namespace fs = std::filesystem;
namespace cache = seccomp::cache;

namespace {

// A directory of the test's own, removed at the end.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("unshared-unit-bpf-" + std::to_string(::getpid()));
    fd::Fd fd;
    TempDir() {
        fs::create_directory(path);
        ::chmod(path.c_str(), 0700);
        fd = fd::Fd{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    }
    ~TempDir() { fs::remove_all(path); }
};

cache::Inputs inputs() {
    return {R"({"defaultAction": "SCMP_ACT_ERRNO"})",
            {seccomp::capabilities_of(caps::docker_default()), "amd64", {6, 18}, {"SCMP_ARCH_X32"}},
            "2.5.4",
            "0123abcd"};
}

cache::Program program(size_t n) {
    cache::Program p(n);
    for (size_t i = 0; i < n; ++i) p[i] = {0x06, 0, 0, static_cast<__u32>(i)};  // BPF_RET|BPF_K
    return p;
}

}  // namespace

TEST_CASE("SHA-256: the examples of FIPS 180-4 (and NIST's test vectors)") {
    CHECK(sha256::of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256::of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256::of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // A million 'a', given in pieces that do not fall on block boundaries.
    sha256::Hasher hasher;
    std::string piece(1000, 'a');
    for (int i = 0; i < 1000; ++i) hasher.update(piece);
    CHECK(sha256::hex(hasher.digest()) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // 55, 56 and 64 bytes: where the padding needs one more block or not.
    CHECK(sha256::of(std::string(55, 'a')) ==
          "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    CHECK(sha256::of(std::string(56, 'a')) ==
          "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    CHECK(sha256::of(std::string(64, 'a')) ==
          "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("the cache's key changes with every input that decides the program") {
    const std::string base = cache::key_of(inputs());
    CHECK(base.size() == 64);
    CHECK(cache::key_of(inputs()) == base);  // and only with them
    auto changed = [&](auto change) {
        cache::Inputs in = inputs();
        std::string text(in.profile);  // keeps a changed profile alive
        change(in, text);
        return cache::key_of(in);
    };
    CHECK(changed([](cache::Inputs& in, std::string& text) {
              text += " ";  // one byte more of the profile, even white space
              in.profile = text;
          }) != base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.target.capabilities.insert(21); }) !=
          base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.target.capabilities.erase(0); }) !=
          base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.target.arch = "arm64"; }) != base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.target.kernel = {6, 17}; }) != base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.target.absent.clear(); }) != base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.libseccomp = "2.5.5"; }) != base);
    CHECK(changed([](cache::Inputs& in, std::string&) { in.build = "0123abce"; }) != base);
    // Fields are length-prefixed: moving a byte from one field to the next is another key.
    CHECK(changed([](cache::Inputs& in, std::string&) {
              in.libseccomp = "2.5.";
              in.build = "40123abcd";
          }) != base);
}

TEST_CASE("this binary has a build ID, and the key for this machine uses it") {
    CHECK(cache::build_id().size() >= 16);  // SHA-1 by default: 40 hex digits
    cache::Inputs here = cache::inputs_here("{}", seccomp::this_machine({}));
    CHECK(here.build == cache::build_id());
    CHECK_FALSE(here.libseccomp.empty());
}

TEST_CASE("a cached program is read back as written, and refused when it cannot be trusted") {
    TempDir dir;
    const std::string name = cache::file_name(cache::key_of(inputs()));
    // Nothing there: a plain miss, nothing refused.
    cache::Found none = cache::read(dir.fd.get(), name);
    CHECK(none.program.empty());
    CHECK(none.refused.empty());

    cache::Program written = program(872);
    cache::write(dir.fd.get(), name, written);
    fs::path file = dir.path / name;
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(fs::file_size(file) == 872 * sizeof(sock_filter));
    cache::Found found = cache::read(dir.fd.get(), name);
    REQUIRE(found.program.size() == 872);
    CHECK(found.refused.empty());
    CHECK(found.program[871].k == 871);
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) ==
          1);  // no temporary left

    auto refused = [&](const std::string& why) {
        cache::Found f = cache::read(dir.fd.get(), name);
        CHECK(f.program.empty());
        CHECK(f.refused.find(why) != std::string::npos);
        return f.refused;
    };
    // Writable by the group, or by others: anyone there could have put their filter in it.
    ::chmod(file.c_str(), 0620);
    refused("mode 620");
    ::chmod(file.c_str(), 0602);
    refused("mode 602");
    ::chmod(file.c_str(), 0600);
    // Someone else's file, even if only they may write it.
    if (::geteuid() == 0) {
        REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
        refused("owner 65534");
        REQUIRE(::chown(file.c_str(), 0, 0) == 0);
    }
    CHECK(cache::read(dir.fd.get(), name).program.size() == 872);
    // Not a whole number of instructions; empty; longer than the kernel takes.
    fs::resize_file(file, 872 * sizeof(sock_filter) - 1);
    refused("not 1 to 4096 instructions");
    fs::resize_file(file, 0);
    refused("0 bytes");
    cache::write(dir.fd.get(), name, program(BPF_MAXINSNS + 1));
    refused("32776 bytes");
    cache::write(dir.fd.get(), name, program(BPF_MAXINSNS));
    CHECK(cache::read(dir.fd.get(), name).program.size() == BPF_MAXINSNS);
    // A symlink in its place is not followed (O_NOFOLLOW), nor is a directory read.
    fs::remove(file);
    fs::create_symlink(dir.path / "elsewhere.bpf", file);
    cache::write(dir.fd.get(), "elsewhere.bpf", written);
    refused("open:");
    fs::remove(file);
    fs::create_directory(file);
    refused("not a regular file");
}

TEST_CASE("prepare() builds once, then loads the program from the cache") {
    TempDir dir;
    seccomp::Settings settings = seccomp::settings_for("default");
    settings.state_dir = dir.path / "state";
    const seccomp::Capabilities docker = seccomp::capabilities_of(caps::docker_default());
    seccomp::Filter built = seccomp::prepare(settings, docker);
    CHECK(built.cached.empty());
    CHECK(built.context() == nullptr);  // released: the program is all load() needs
    REQUIRE(built.program.size() > 100);
    // The state directory is made as host::Ledger makes it, the cache in it ours alone.
    CHECK((fs::status(settings.state_dir).permissions() & fs::perms::all) ==
          static_cast<fs::perms>(0711));
    CHECK((fs::status(settings.state_dir / "seccomp").permissions() & fs::perms::all) ==
          fs::perms::owner_all);
    seccomp::Filter again = seccomp::prepare(settings, docker);
    CHECK_FALSE(again.cached.empty());
    CHECK(again.flags == built.flags);
    REQUIRE(again.program.size() == built.program.size());
    CHECK(std::equal(again.program.begin(), again.program.end(), built.program.begin(),
                     [](const sock_filter& a, const sock_filter& b) {
                         return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
                     }));
    // Other capabilities: another program, built.
    seccomp::Capabilities more = docker;
    more.insert(21);  // CAP_SYS_ADMIN
    CHECK(seccomp::prepare(settings, more).cached.empty());
    // A cache directory others may write is not used: built as usual, never a failure.
    ::chmod((settings.state_dir / "seccomp").c_str(), 0777);
    seccomp::Filter unsafe = seccomp::prepare(settings, docker);
    CHECK(unsafe.cached.empty());
    CHECK(unsafe.program.size() == built.program.size());
}
