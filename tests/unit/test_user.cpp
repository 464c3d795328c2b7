// Unit tests of chapter 07's pure parts: uid/gid maps, /etc/subuid, the options.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/mnt.hpp"
#include "common/user.hpp"
#include "common/volume.hpp"

namespace fs = std::filesystem;
using user::Map;
using user::Range;

namespace {

std::string usage_error_of(std::string_view text) {
    try {
        user::parse_range(text);
    } catch (const error::UsageError& e) {
        return e.what();
    }
    return "";
}

cli::ParseResult parse(std::vector<std::string> words, const cli::Chapter& chapter) {
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    return cli::parse(chapter, static_cast<int>(argv.size()), argv.data());
}

// A throwaway directory with what chapter 02's mounts need.
struct FakeRootfs {
    fs::path dir = fs::temp_directory_path() / ("unshared-unit-user-" + std::to_string(::getpid()));
    FakeRootfs() {
        for (const char* sub : {"bin", "dev", "proc", "sys", "tmp"})
            fs::create_directories(dir / sub);
        std::ofstream(dir / "bin/busybox").put('\n');
        fs::create_symlink("busybox", dir / "bin/sh");
    }
    ~FakeRootfs() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("a map range is INSIDE:OUTSIDE:COUNT, as Podman and util-linux spell it") {
    CHECK(user::parse_range("0:100000:65536") == Range{0, 100000, 65536});
    CHECK(user::parse_range("1:4294967294:1") == Range{1, 4294967294U, 1});
    for (const char* bad : {"", "0:100000", "0:100000:65536:1", "a:b:c", "0:-1:5", " 0:1:1",
                            "0:1:1 ", "0:4294967296:1", "0x10:1:1", "0::1"}) {
        CAPTURE(bad);
        std::string message = usage_error_of(bad);
        CHECK(message.find("expected INSIDE:OUTSIDE:COUNT") != std::string::npos);
        CHECK(message.find('\n') == std::string::npos);
    }
}

TEST_CASE("a map the kernel would refuse is named before the container starts") {
    CHECK(user::map_problem({{0, 100000, 65536}}) == "");
    CHECK(user::map_problem({{0, 1000, 1}, {1, 100000, 65535}}) == "");
    CHECK(user::map_problem({}) == "the map is empty");
    CHECK(user::map_problem({{0, 100000, 0}}).find("COUNT is 0") != std::string::npos);
    CHECK(user::map_problem({{0, 4294967290U, 10}}).find("largest id") != std::string::npos);
    CHECK(user::map_problem({{4294967290U, 0, 10}, {0, 20, 1}}).find("largest id") !=
          std::string::npos);
    CHECK(user::map_problem({{0, 100000, 10}, {5, 200000, 10}}) ==
          "0:100000:10 and 5:200000:10 overlap inside the container");
    CHECK(user::map_problem({{0, 100000, 10}, {10, 100009, 10}}) ==
          "0:100000:10 and 10:100009:10 overlap outside");
    CHECK(user::map_problem({{10, 100000, 10}, {0, 100010, 10}}) == "");  // touching is fine
    CHECK(user::map_problem({{1, 100000, 65535}}) == "nothing maps 0, the container's root");
    Map many;
    for (uint32_t i = 0; i < 341; ++i) many.push_back({i, 100000 + i, 1});
    CHECK(user::map_problem(many).find("at most 340") != std::string::npos);
    many.pop_back();
    CHECK(user::map_problem(many) == "");
}

TEST_CASE("outside ids and the text of a map file") {
    Map map{{0, 1000, 1}, {1, 100000, 65535}};
    CHECK(user::outside_id(map, 0) == 1000U);
    CHECK(user::outside_id(map, 5) == 100004U);
    CHECK(user::outside_id(map, 65535) == 165534U);
    CHECK_FALSE(user::outside_id(map, 65536));
    CHECK_FALSE(user::outside_id({{0, 1000, 1}}, 5));  // devpts gid=5 must go
    CHECK(user::map_text(map) == "0 1000 1\n1 100000 65535\n");
}

TEST_CASE("/etc/subuid: a user's ranges, by name or by uid") {
    std::string text =
        "# subordinate ids\n"
        "alice:100000:65536\n"
        "unshared:165536:65536\n"
        "1001:300000:1000\n"
        "alice:400000:10\n"
        "broken line\n"
        "alice:x:5\n"
        "alice:500000:0\n"
        "\n";
    auto alice = user::subordinate_ranges(text, "alice", 1000);
    REQUIRE(alice.size() == 2);
    CHECK(alice[0].start == 100000);
    CHECK(alice[0].count == 65536);
    CHECK(alice[1].start == 400000);
    auto by_uid = user::subordinate_ranges(text, "bob", 1001);
    REQUIRE(by_uid.size() == 1);
    CHECK(by_uid[0].start == 300000);
    CHECK(user::subordinate_ranges(text, "carol", 1002).empty());
    CHECK(user::subordinate_ranges("", "alice", 1000).empty());
    CHECK(user::subordinate_ranges(text, "", 1001).size() == 1);  // a uid without a name
}

TEST_CASE("a dedicated range shared with another user is found") {
    std::string text = "alice:100000:65536\nunshared:165536:65536\nbob:200000:65536\n";
    CHECK(user::overlapping_owner(text, "unshared", 999, {165536, 65536}) == "bob");
    CHECK(user::overlapping_owner(text, "unshared", 999, {165536, 34464}) == "");
    CHECK(user::overlapping_owner(text, "unshared", 999, {100000, 1}) == "alice");
    CHECK(user::overlapping_owner("999:100000:65536\n", "unshared", 999, {100000, 1}) == "");
}

TEST_CASE("the user options: bad maps and --userns host are one line, exit 2") {
    FakeRootfs rootfs;
    cli::Chapter chapter{"07-user", "test", {mnt::options, volume::options, user::options}};
    std::string dir = rootfs.dir.string();
    CHECK(parse({"07-user", "--rootfs", dir, "--uid-map", "0:100000"}, chapter).exit == 2);
    CHECK(parse({"07-user", "--rootfs", dir, "--uid-map", "1:100000:10"}, chapter).exit == 2);
    CHECK(parse({"07-user", "--rootfs", dir, "--uid-map", "0:100000:10", "--uid-map", "5:0:1"},
                chapter)
              .exit == 2);
    CHECK(
        parse({"07-user", "--rootfs", dir, "--userns", "host", "--uid-map", "0:100000:10"}, chapter)
            .exit == 2);
    CHECK(parse({"07-user", "--rootfs", dir, "--userns", "nope"}, chapter).exit == 2);
    if (::geteuid() != 0) return;  // as root, maps given by hand need no /etc/subuid
    auto ok =
        parse({"07-user", "--rootfs", dir, "--uid-map", "0:100000:65536", "--", "id"}, chapter);
    REQUIRE(ok.exit == -1);
    CHECK(ok.spec.user.enabled);
    CHECK(ok.spec.user.uids == Map{{0, 100000, 65536}});
    CHECK(ok.spec.user.gids == ok.spec.user.uids);  // one given: the other is the same
    CHECK(ok.spec.command.argv == std::vector<std::string>{"id"});
    auto one = parse({"07-user", "--rootfs", dir, "--uid-map", "0:100000:1"}, chapter);
    REQUIRE(one.exit == -1);
    for (const mnt::Mount& row : one.spec.mounts)
        if (row.target == "/dev/pts") CHECK(row.data.find("gid=5") == std::string::npos);
    auto host = parse({"07-user", "--rootfs", dir, "--userns", "host"}, chapter);
    REQUIRE(host.exit == -1);
    CHECK_FALSE(host.spec.user.enabled);
}
