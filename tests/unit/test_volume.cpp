// Unit tests of volumes (-v): the text, and the checks against a rootfs.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/mnt.hpp"
#include "common/volume.hpp"

namespace fs = std::filesystem;

namespace {

cli::ParseResult parse(std::vector<std::string> words, const cli::Chapter& chapter) {
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    return cli::parse(chapter, static_cast<int>(argv.size()), argv.data());
}

// A throwaway directory with what chapter 02's mounts need, /mnt and /srv/data.
struct FakeRootfs {
    fs::path dir =
        fs::temp_directory_path() / ("unshared-unit-volume-" + std::to_string(::getpid()));
    FakeRootfs() {
        for (const char* sub : {"bin", "dev", "proc", "sys", "tmp", "mnt", "srv/data"})
            fs::create_directories(dir / sub);
        std::ofstream(dir / "bin/busybox").put('\n');
        fs::create_symlink("busybox", dir / "bin/sh");
    }
    ~FakeRootfs() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("-v HOSTDIR:CONTAINERDIR[:ro]: the text") {
    volume::Volume v = volume::parse("/srv/data/:/mnt:ro");
    CHECK(v.source == "/srv/data");
    CHECK(v.target == "/mnt");
    CHECK(v.read_only);
    CHECK_FALSE(volume::parse("/a:/b:rw").read_only);
    CHECK_FALSE(volume::parse("/a:/b").read_only);
    for (const char* bad : {"/a", "relative:/b", "/a:relative", "/a:/b:rx", "/a:/b:ro:x",
                            "/a:/../etc", "/a/../b:/c", "/a:/", ":/b", "/a:"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(volume::parse(bad), error::UsageError);
    }
    mnt::Mount row = volume::row(v);
    CHECK(row.flags == (MS_BIND | MS_REC | MS_RDONLY));
    CHECK(row.how == mnt::Target::user_dir);
    CHECK(row.source == "/srv/data");
}

TEST_CASE("-v: the host directory must exist, the target must be in the rootfs") {
    FakeRootfs rootfs;
    cli::Chapter chapter{"02-mnt", "test", {mnt::options, volume::options}};
    std::string dir = rootfs.dir.string(), host = (rootfs.dir / "srv").string();
    auto ok = parse({"02-mnt", "--rootfs", dir, "-v", host + ":/mnt:ro"}, chapter);
    REQUIRE(ok.exit == -1);
    CHECK(ok.spec.mounts.back().target == "/mnt");
    fs::create_symlink("/srv/data", rootfs.dir / "data");  // absolute: inside the rootfs
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", host + ":/data"}, chapter).exit == -1);
    fs::create_symlink("../../../..", rootfs.dir / "mnt/out");  // climbs out
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", host + ":/mnt/out"}, chapter).exit == 2);
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", host + ":/nope"}, chapter).exit == 2);
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", "/nonexistent/x:/mnt"}, chapter).exit == 2);
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", host + ":/proc"}, chapter).exit == 2);
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", host + ":/tmp/x"}, chapter).exit == 2);
    CHECK(parse({"02-mnt", "--rootfs", dir, "-v", host + ":/mnt", "-v", host + ":/mnt"}, chapter)
              .exit == 2);
}
