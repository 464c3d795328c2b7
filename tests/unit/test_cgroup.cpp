// Unit tests of cgroup: the option values (Docker's spelling), the table of
// file names of v1 and v2, and the view's mount rows. No root, no cgroup made
// (tests/cgroup/ makes real ones).
#include <doctest/doctest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/cgroup.hpp"
#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/mnt.hpp"

namespace fs = std::filesystem;
using cgroup::Version;

namespace {

// The message of the UsageError `call` throws ("" if it throws none).
template <typename Call>
std::string usage_error(Call call) {
    try {
        call();
    } catch (const error::UsageError& e) {
        return e.what();
    }
    return "";
}

// The writes as "file=value" lines, easier to compare.
std::vector<std::string> lines(const std::vector<cgroup::Write>& writes) {
    std::vector<std::string> out;
    for (const cgroup::Write& w : writes)
        out.push_back(w.controller + ":" + w.file + "=" + w.value);
    return out;
}

}  // namespace

TEST_CASE("sizes: bytes, or k, m, g in either case") {
    CHECK(cgroup::parse_size("67108864", "--memory") == 67108864);
    CHECK(cgroup::parse_size("64M", "--memory") == 64ull << 20);
    CHECK(cgroup::parse_size("64m", "--memory") == 64ull << 20);
    CHECK(cgroup::parse_size("64mb", "--memory") == 64ull << 20);
    CHECK(cgroup::parse_size("65536k", "--memory") == 64ull << 20);
    CHECK(cgroup::parse_size("65536K", "--memory") == 64ull << 20);
    CHECK(cgroup::parse_size("1g", "--memory") == 1ull << 30);
    CHECK(cgroup::parse_size("2G", "--memory") == 2ull << 30);
    CHECK(cgroup::parse_size("512b", "--memory") == 512);
}

TEST_CASE("bad sizes are one line naming the option and the value") {
    CHECK(usage_error([] { cgroup::parse_size("64Q", "--memory"); }) ==
          "--memory 64Q: not a size: give bytes, or a whole number with k, m or g (64m, 1g)");
    CHECK(usage_error([] { cgroup::parse_size("0", "--memory"); }) ==
          "--memory 0: must be more than 0");
    for (const char* bad :
         {"", "M", "-1", "1.5g", "64 M", "0x10", "1e9", "64MiB", "9999999999999g"})
        CHECK_MESSAGE(!usage_error([&] { cgroup::parse_size(bad, "--memory"); }).empty(), bad);
    CHECK(usage_error([] { cgroup::parse_size("a\nb", "--memory"); }).find('\n') ==
          std::string::npos);
}

TEST_CASE("--cpus: 0.01 up to the CPUs of the machine") {
    CHECK(cgroup::parse_cpus("0.5", 2) == doctest::Approx(0.5));
    CHECK(cgroup::parse_cpus("2", 2) == doctest::Approx(2.0));
    CHECK(cgroup::parse_cpus(".25", 2) == doctest::Approx(0.25));
    CHECK(cgroup::parse_cpus("0.01", 1) == doctest::Approx(0.01));
    std::string range = "give a number of CPUs from 0.01 to 2 (this machine has 2; ";
    CHECK(usage_error([] { cgroup::parse_cpus("-1", 2); }).find("--cpus -1: " + range) == 0);
    CHECK(usage_error([] { cgroup::parse_cpus("1000", 2); }).find("--cpus 1000: " + range) == 0);
    for (const char* bad :
         {"", ".", "0", "0.001", "abc", "1e1", "inf", "nan", "1.2.3", "+1", "2.5"})
        CHECK_MESSAGE(!usage_error([&] { cgroup::parse_cpus(bad, 2); }).empty(), bad);
    CHECK(cgroup::cpus_available() >= 1);
}

TEST_CASE("--pids-limit: 1 up to the kernel's PID_MAX_LIMIT") {
    CHECK(cgroup::parse_pids("32") == 32);
    CHECK(cgroup::parse_pids("4194304") == 4194304);
    CHECK(usage_error([] { cgroup::parse_pids("0"); }) ==
          "--pids-limit 0: give a number of processes from 1 to 4194304");
    for (const char* bad : {"", "-1", "4194305", "3.5", "many", "99999999999999999999999"})
        CHECK_MESSAGE(!usage_error([&] { cgroup::parse_pids(bad); }).empty(), bad);
}

TEST_CASE("--memory-swap counts memory plus swap, as in Docker") {
    cgroup::Limits limits;
    limits.memory_swap = 128ull << 20;
    CHECK(usage_error([&] { cgroup::check(limits); }).find("give --memory too") !=
          std::string::npos);
    limits.memory = 256ull << 20;
    CHECK(usage_error([&] { cgroup::check(limits); }) ==
          "--memory-swap 128M: less than --memory 256M (it counts memory plus swap)");
    limits.memory = 64ull << 20;
    CHECK(usage_error([&] { cgroup::check(limits); }).empty());
}

TEST_CASE("sizes print in the largest unit that divides them") {
    CHECK(cgroup::format_size(64ull << 20) == "64M");
    CHECK(cgroup::format_size(1ull << 30) == "1G");
    CHECK(cgroup::format_size(1536) == "1536");
    CHECK(cgroup::format_size(6144) == "6k");
}

TEST_CASE("the table of file names: v1 and v2") {
    const cgroup::FileNames& v1 = cgroup::files_of(Version::v1);
    const cgroup::FileNames& v2 = cgroup::files_of(Version::v2);
    CHECK(v1.memory == "memory.limit_in_bytes");
    CHECK(v2.memory == "memory.max");
    CHECK(v1.swap == "memory.memsw.limit_in_bytes");
    CHECK(v2.swap == "memory.swap.max");
    CHECK(v1.cpu == "cpu.cfs_quota_us");
    CHECK(v2.cpu == "cpu.max");
    CHECK(v1.pids == "pids.max");
    CHECK(v2.pids == "pids.max");
    CHECK(v1.oom == "memory.oom_control");
    CHECK(v2.oom == "memory.events");
}

TEST_CASE("the writes that set the limits, in each version") {
    cgroup::Limits limits;
    limits.memory = 64ull << 20;
    limits.cpus = 0.5;
    limits.pids = 32;
    // No --memory-swap: as much swap as memory again (Docker's default).
    CHECK(lines(cgroup::writes_for(limits, Version::v2, true)) ==
          std::vector<std::string>{"memory:memory.max=67108864", "memory:memory.swap.max=67108864",
                                   "cpu:cpu.max=50000 100000", "pids:pids.max=32"});
    CHECK(lines(cgroup::writes_for(limits, Version::v1, true)) ==
          std::vector<std::string>{"memory:memory.limit_in_bytes=67108864",
                                   "memory:memory.memsw.limit_in_bytes=134217728",
                                   "cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=50000",
                                   "pids:pids.max=32"});
    // A kernel without swap accounting: the default is dropped, not an error.
    CHECK(lines(cgroup::writes_for(limits, Version::v1, false)).size() == 4);

    limits.memory_swap = 64ull << 20;  // = memory: no swap at all
    CHECK(lines(cgroup::writes_for(limits, Version::v2, true))[1] == "memory:memory.swap.max=0");
    CHECK(lines(cgroup::writes_for(limits, Version::v1, true))[1] ==
          "memory:memory.memsw.limit_in_bytes=67108864");
    limits.memory_swap = cgroup::kUnlimited;
    CHECK(lines(cgroup::writes_for(limits, Version::v2, true))[1] == "memory:memory.swap.max=max");
    CHECK(lines(cgroup::writes_for(limits, Version::v1, true))[1] ==
          "memory:memory.memsw.limit_in_bytes=-1");
    // Asked for, and the kernel cannot: an error that says why.
    CHECK(usage_error([&] {
              cgroup::writes_for(limits, Version::v1, false);
          }).find("memory.memsw.limit_in_bytes") != std::string::npos);

    cgroup::Limits two_cpus;
    two_cpus.cpus = 2;
    CHECK(lines(cgroup::writes_for(two_cpus, Version::v2, true)) ==
          std::vector<std::string>{"cpu:cpu.max=200000 100000"});
    CHECK(cgroup::writes_for(cgroup::Limits{}, Version::v2, true).empty());
}

TEST_CASE("the view: cgroup2 read-only on v2; a tmpfs of v1 hierarchies, read-only") {
    cgroup::Layout v2{Version::v2, {{"/sys/fs/cgroup", {"memory", "cpu", "pids"}}}};
    mnt::Table rows = cgroup::view_mounts(v2);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].target == "/sys/fs/cgroup");
    CHECK(rows[0].type == "cgroup2");
    CHECK((rows[0].flags & MS_RDONLY) != 0);
    CHECK(rows[0].how == mnt::Target::mounted);

    cgroup::Layout v1{Version::v1,
                      {{"/sys/fs/cgroup/memory", {"memory"}},
                       {"/sys/fs/cgroup/cpu,cpuacct", {"cpu", "cpuacct"}},
                       {"/sys/fs/cgroup/pids", {"pids"}}}};
    rows = cgroup::view_mounts(v1);
    std::vector<std::string> seen;
    for (const mnt::Mount& row : rows) seen.push_back(row.target + " " + row.type + " " + row.data);
    CHECK(seen == std::vector<std::string>{"/sys/fs/cgroup tmpfs mode=755,size=64k",
                                           "/sys/fs/cgroup/memory cgroup memory",
                                           "/sys/fs/cgroup/cpu cgroup cpu,cpuacct",
                                           "/sys/fs/cgroup/cpuacct cgroup cpu,cpuacct",
                                           "/sys/fs/cgroup/pids cgroup pids", "/sys/fs/cgroup  "});
    for (size_t i = 1; i < rows.size(); ++i) CHECK((rows[i].flags & MS_RDONLY) != 0);
    CHECK((rows.back().flags & MS_REMOUNT) != 0);
}

TEST_CASE("the option group fills spec.cgroup; bad values are exit 2") {
    char dir_template[] = "/tmp/unshared-cgroup-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    fs::path rootfs = dir_template;
    for (const char* d : {"bin", "dev", "proc", "sys", "tmp"}) fs::create_directories(rootfs / d);
    std::ofstream(rootfs / "bin/sh").put('\n');  // only looked up, never run
    cli::Chapter chapter{"08-cgroup", "test", {mnt::options, cgroup::options}};
    auto parse = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"08-cgroup", "--rootfs", rootfs.string()});
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        return cli::parse(chapter, static_cast<int>(argv.size()), argv.data());
    };
    auto ok = parse({"--memory", "64M", "--cpus", "0.5", "--pids-limit", "32"});
    CHECK(ok.exit == -1);
    CHECK(ok.spec.cgroup.memory == 64ull << 20);
    CHECK(ok.spec.cgroup.cpus == doctest::Approx(0.5));
    CHECK(ok.spec.cgroup.pids == 32);
    CHECK_FALSE(ok.spec.cgroup.memory_swap.has_value());
    CHECK(parse({"--memory=1g", "--memory-swap", "-1"}).spec.cgroup.memory_swap ==
          cgroup::kUnlimited);
    CHECK(parse({}).spec.cgroup.memory == std::nullopt);
    for (std::vector<std::string> bad : {std::vector<std::string>{"--memory", "64Q"},
                                         {"--memory", "0"},
                                         {"--memory", "1M"},
                                         {"--cpus", "-1"},
                                         {"--cpus", "1000"},
                                         {"--pids-limit", "0"},
                                         {"--memory-swap", "1g"},
                                         {"--memory", "1g", "--memory-swap", "64m"}})
        CHECK_MESSAGE(parse(bad).exit == 2, (bad[0] + " " + bad.back()));
    fs::remove_all(rootfs);
}
