// Unit tests of caps: the names table, Docker's rule for --cap-add and
// --cap-drop, the bit masks, --user, and the option group. No privileges:
// the drop itself is tested as root by tests/caps/caps_root.py.
#include <doctest/doctest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/caps.hpp"
#include "common/cli.hpp"
#include "common/error.hpp"

namespace fs = std::filesystem;

namespace {

std::string usage_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const error::UsageError& e) {
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the names table: every capability once, in the kernel's order") {
    auto table = caps::table();
    REQUIRE(table.size() == CAP_LAST_CAP + 1);
    std::set<std::string> seen;
    for (size_t i = 0; i < table.size(); ++i) {
        CHECK(table[i].number == static_cast<int>(i));
        CHECK(seen.insert(table[i].name).second);
        CHECK(std::string(table[i].what).size() > 5);
    }
    CHECK(caps::all() == (caps::Mask{1} << (CAP_LAST_CAP + 1)) - 1);
    CHECK(caps::name_of(CAP_SYS_ADMIN) == "SYS_ADMIN");
    CHECK(caps::name_of(CAP_CHECKPOINT_RESTORE) == "CHECKPOINT_RESTORE");
    CHECK(caps::name_of(55) == "55");
}

TEST_CASE("names with or without CAP_, in any case") {
    CHECK(caps::find("SYS_ADMIN") == CAP_SYS_ADMIN);
    CHECK(caps::find("cap_sys_admin") == CAP_SYS_ADMIN);
    CHECK(caps::find("CAP_Sys_Admin") == CAP_SYS_ADMIN);
    CHECK(caps::find("chown") == CAP_CHOWN);
    CHECK(caps::find("NET_BIND_SERVICE") == CAP_NET_BIND_SERVICE);
    CHECK_FALSE(caps::find("ALL"));  // not a capability: resolve() handles it
    CHECK_FALSE(caps::find("SYS_ADMN"));
    CHECK_FALSE(caps::find("CAP_"));
    CHECK_FALSE(caps::find(""));
    CHECK_FALSE(caps::find("capsys_admin"));
}

TEST_CASE("close matches for a typo or a part of a name") {
    CHECK(caps::close_matches("SYS_ADMN") == std::vector<std::string>{"SYS_ADMIN"});
    CHECK(caps::close_matches("cap_sys_tme") == std::vector<std::string>{"SYS_TIME"});
    std::vector<std::string> admin = caps::close_matches("admin");
    CHECK(admin.size() == 3);  // NET_ADMIN, SYS_ADMIN, MAC_ADMIN
    CHECK(std::find(admin.begin(), admin.end(), "SYS_ADMIN") != admin.end());
    CHECK(caps::close_matches("net").size() == 4);  // at most four
    CHECK(caps::close_matches("frobnicate").empty());
}

TEST_CASE("the bit masks are those of /proc/self/status") {
    CHECK(caps::bit(CAP_CHOWN) == 0x1);
    CHECK(caps::bit(CAP_SYS_ADMIN) == 0x200000);
    CHECK(caps::bit(CAP_CHECKPOINT_RESTORE) == 0x10000000000);
    // Docker's default as `docker run ... grep CapBnd /proc/self/status` shows it.
    CHECK(caps::docker_default() == 0xa80425fb);
    CHECK(std::popcount(caps::docker_default()) == 14);
    CHECK(caps::names(caps::bit(CAP_CHOWN) | caps::bit(CAP_KILL)) == "chown, kill");
    CHECK(caps::names(caps::bit(CAP_CHOWN) | caps::bit(CAP_KILL), ",", "cap_") ==
          "cap_chown,cap_kill");
    CHECK(caps::names(caps::bit(50), ",") == "50");
    CHECK(caps::names(0).empty());
}

TEST_CASE("Docker's order: drops first, then adds, whatever the order given") {
    const caps::Mask docker = caps::docker_default();
    using V = std::vector<std::string>;
    CHECK(caps::resolve(docker, {}, {}) == docker);
    CHECK(caps::resolve(docker, {}, {"ALL"}) == 0);
    CHECK(caps::resolve(docker, {"NET_BIND_SERVICE"}, {"all"}) == caps::bit(CAP_NET_BIND_SERVICE));
    CHECK(caps::resolve(docker, {"SYS_TIME"}, {}) == (docker | caps::bit(CAP_SYS_TIME)));
    CHECK(caps::resolve(docker, {}, {"MKNOD", "cap_net_raw"}) ==
          (docker & ~caps::bit(CAP_MKNOD) & ~caps::bit(CAP_NET_RAW)));
    // Added and dropped by name: the add wins, as it comes second.
    CHECK(caps::resolve(docker, {"CHOWN"}, {"CHOWN"}) == docker);
    // ALL added: everything but what was dropped by name.
    CHECK(caps::resolve(docker, {"ALL"}, {"SYS_ADMIN"}) ==
          (caps::all() & ~caps::bit(CAP_SYS_ADMIN)));
    CHECK(caps::resolve(docker, {"ALL"}, {"ALL"}) == caps::all());
    CHECK(caps::resolve(docker, V{"ALL"}, V{"ALL", "SYS_ADMIN"}) ==
          (caps::all() & ~caps::bit(CAP_SYS_ADMIN)));
    CHECK(caps::resolve(docker, {"SYS_ADMIN", "ALL"}, {"SYS_ADMIN"}) == caps::all());
}

TEST_CASE("an unknown capability: one line, with close matches") {
    using V = std::vector<std::string>;
    std::string typo =
        usage_error([] { caps::resolve(caps::docker_default(), V{"SYS_ADMN"}, V{}); });
    CHECK(contains(typo, "--cap-add SYS_ADMN: no such capability; did you mean SYS_ADMIN?"));
    CHECK(typo.find('\n') == std::string::npos);
    std::string several =
        usage_error([] { caps::resolve(caps::docker_default(), V{}, V{"admin"}); });
    CHECK(contains(several, "--cap-drop admin:"));
    CHECK(contains(several, " or "));
    std::string none = usage_error([] { caps::resolve(0, V{"frobnicate"}, V{}); });
    CHECK(contains(none, "no such capability (names as in capabilities(7)"));
    CHECK(contains(usage_error([] { caps::resolve(0, V{"CAP_ALL"}, V{}); }), "no such"));
}

namespace {
const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "+nis::::::\n"
    "broken:x:notanumber:1\n"
    "short:x\n"
    "web:x:1000:100:Web:/home/web:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const char* kGroup =
    "root:x:0:\n"
    "users:x:100:web\n"
    "nogroup:x:65534:\n";
}  // namespace

TEST_CASE("--user: numbers, names from the rootfs's files, and their groups") {
    caps::User web = caps::parse_user("web", kPasswd, kGroup);
    CHECK(web.uid == 1000);
    CHECK(web.gid == 100);
    CHECK(web.home == "/home/web");
    CHECK(web.given == "web");
    caps::User listed = caps::parse_user("1000", kPasswd, kGroup);
    CHECK(listed.uid == 1000);
    CHECK(listed.gid == 100);  // its group in /etc/passwd
    caps::User unlisted = caps::parse_user("4242", kPasswd, kGroup);
    CHECK(unlisted.uid == 4242);
    CHECK(unlisted.gid == 4242);  // not Docker's 0
    CHECK(unlisted.home.empty());
    caps::User both = caps::parse_user("0:65534", kPasswd, kGroup);
    CHECK(both.uid == 0);
    CHECK(both.gid == 65534);
    caps::User named_group = caps::parse_user("nobody:users", kPasswd, kGroup);
    CHECK(named_group.uid == 65534);
    CHECK(named_group.gid == 100);
    CHECK(caps::parse_user("4294967294", "", "").uid == 4294967294U);
}

TEST_CASE("--user: bad input is one line") {
    auto error_of = [](const char* given) {
        return usage_error([given] { caps::parse_user(given, kPasswd, kGroup); });
    };
    CHECK(contains(error_of("0:abc"), "--user 0:abc: no group \"abc\" in the rootfs's /etc/group"));
    CHECK(
        contains(error_of("alice"), "--user alice: no user \"alice\" in the rootfs's /etc/passwd"));
    CHECK(contains(error_of("broken"), "no user \"broken\""));  // its line is not valid
    CHECK(contains(error_of("+nis"), "no user"));
    CHECK(contains(error_of(":0"), "the user is empty"));
    CHECK(contains(error_of("0:"), "the group after ':' is empty"));
    CHECK(contains(error_of("4294967295"), "not a valid UID (0 to 4294967294)"));
    CHECK(contains(error_of("0:99999999999"), "not a valid GID"));
    CHECK(contains(error_of("-1"), "no user \"-1\""));
}

namespace {
// A throwaway rootfs with /bin/sh and the given /etc files.
struct FakeRootfs {
    fs::path dir = fs::temp_directory_path() / ("unshared-caps-" + std::to_string(::getpid()));
    explicit FakeRootfs(const char* passwd = kPasswd) {
        fs::create_directories(dir / "bin");
        fs::create_directories(dir / "etc");
        std::ofstream(dir / "bin/busybox").put('\n');
        fs::create_symlink("busybox", dir / "bin/sh");
        if (passwd != nullptr) std::ofstream(dir / "etc/passwd") << passwd;
        std::ofstream(dir / "etc/group") << kGroup;
    }
    ~FakeRootfs() { fs::remove_all(dir); }
};

cli::ParseResult parse(std::vector<std::string> words) {
    static const cli::Chapter chapter{"09-caps", "test", {caps::options}};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    return cli::parse(chapter, static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("--user reads the rootfs's /etc/passwd, never the host's") {
    FakeRootfs rootfs;
    CHECK(caps::resolve_user("web", rootfs.dir).uid == 1000);
    // The host has a "root" but no "web"; a rootfs without /etc/passwd has neither.
    fs::remove(rootfs.dir / "etc/passwd");
    CHECK(contains(usage_error([&] { caps::resolve_user("root", rootfs.dir); }), "no user"));
    CHECK(caps::resolve_user("7", rootfs.dir).gid == 7);
    // An absolute symlink resolves inside the rootfs, not to the host's /etc/passwd.
    fs::create_directories(rootfs.dir / "srv");
    std::ofstream(rootfs.dir / "srv/passwd") << "inside:x:77:77::/:/bin/sh\n";
    fs::create_symlink("/srv/passwd", rootfs.dir / "etc/passwd");
    CHECK(caps::resolve_user("inside", rootfs.dir).uid == 77);
    // A FIFO in its place is refused, without hanging in open(2).
    fs::remove(rootfs.dir / "etc/passwd");
    REQUIRE(::mkfifo((rootfs.dir / "etc/passwd").c_str(), 0644) == 0);
    CHECK(contains(usage_error([&] { caps::resolve_user("web", rootfs.dir); }),
                   "/etc/passwd is a special file, not a regular file"));
}

TEST_CASE("the option group fills spec.caps") {
    FakeRootfs rootfs;
    std::string dir = rootfs.dir.string();
    auto defaults = parse({"09-caps", "--rootfs", dir});
    REQUIRE(defaults.exit == -1);
    CHECK(defaults.spec.caps.keep == caps::docker_default());
    CHECK(defaults.spec.caps.no_new_privs);
    CHECK_FALSE(defaults.spec.caps.user);

    auto some = parse({"09-caps", "--rootfs", dir, "--cap-add", "sys_time", "--cap-drop", "ALL",
                       "--cap-add", "CAP_KILL", "--allow-new-privileges", "-u", "web"});
    REQUIRE(some.exit == -1);
    CHECK(some.spec.caps.keep == (caps::bit(CAP_SYS_TIME) | caps::bit(CAP_KILL)));
    CHECK(some.spec.caps.asked == some.spec.caps.keep);
    CHECK_FALSE(some.spec.caps.no_new_privs);
    REQUIRE(some.spec.caps.user);
    CHECK(some.spec.caps.user->uid == 1000);

    CHECK(parse({"09-caps", "--rootfs", dir, "--cap-add", "ALL"}).spec.caps.asked == 0);
    CHECK(parse({"09-caps", "--rootfs", dir, "--cap-add", "SYS_ADMN"}).exit == 2);
    CHECK(parse({"09-caps", "--rootfs", dir, "--user", "alice"}).exit == 2);
    CHECK(parse({"09-caps", "--rootfs", dir, "--user", "0:abc"}).exit == 2);
    CHECK(parse({"09-caps", "--rootfs", dir, "--user", ""}).exit == 2);
    CHECK(
        parse({"09-caps", "--rootfs", dir, "--no-new-privileges", "--allow-new-privileges"}).exit ==
        2);
}
