// Unit tests of the chassis pieces that need no privileges: paths resolved
// inside a root (inroot), and the sync channel (channel).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common/channel.hpp"
#include "common/inroot.hpp"

namespace fs = std::filesystem;

namespace {

// A throwaway tree: root/{dev,proc,etc/hosts} and a decoy outside it.
struct Tree {
    fs::path top = fs::temp_directory_path() / ("unshared-inroot-" + std::to_string(::getpid()));
    fs::path root = top / "root";
    Tree() {
        fs::create_directories(root / "etc");
        fs::create_directories(root / "dev");
        fs::create_directories(top / "decoy");
        std::ofstream(root / "etc/hosts") << "127.0.0.1 localhost\n";
    }
    ~Tree() { fs::remove_all(top); }
    fd::Fd open_root() const { return inroot::open_directory(root.string()); }
};

std::string message_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("inroot opens what the rootfs really has") {
    Tree t;
    fd::Fd root = t.open_root();
    CHECK(inroot::open(root, "/dev", inroot::Kind::directory).valid());
    CHECK(inroot::open(root, "/etc/hosts", inroot::Kind::regular_file).valid());
    CHECK(inroot::problem(root, "/dev", inroot::Kind::directory).empty());
    CHECK(inroot::problem(root, "/etc/hosts", inroot::Kind::directory) ==
          "/etc/hosts is a regular file, not a directory");
    CHECK(inroot::problem(root, "/proc", inroot::Kind::directory) == "/proc does not exist");
}

TEST_CASE("inroot refuses every symlink on the way, whatever it points to") {
    Tree t;
    fs::create_symlink("/", t.root / "proc");                // absolute, to the host's /
    fs::create_symlink("../decoy", t.root / "sys");          // relative, climbing out
    fs::create_symlink("dev", t.root / "tmp");               // harmless-looking, inside
    fs::create_symlink("../../decoy", t.root / "etc/link");  // deeper
    fd::Fd root = t.open_root();
    for (const char* path : {"/proc", "/sys", "/tmp", "/etc/link", "/tmp/pts"}) {
        CAPTURE(path);
        std::string why = message_of([&] { inroot::open(root, path, inroot::Kind::directory); });
        CHECK(why.find("is a symlink") != std::string::npos);
    }
    CHECK(
        inroot::problem(root, "/proc", inroot::Kind::directory).find("/proc is a symlink (to /)") ==
        0);
    // make() must not create through a symlinked parent either.
    CHECK_THROWS(inroot::make(root, "/sys/planted", inroot::Kind::regular_file, 0600));
    CHECK_FALSE(fs::exists(t.top / "decoy/planted"));
}

TEST_CASE("inroot::make creates inside, once") {
    Tree t;
    fd::Fd root = t.open_root();
    CHECK(inroot::make(root, "/dev/pts", inroot::Kind::directory, 0755).valid());
    CHECK(fs::is_directory(t.root / "dev/pts"));
    CHECK(inroot::make(root, "/dev/null", inroot::Kind::regular_file, 0666).valid());
    CHECK_THROWS(inroot::make(root, "/dev/null", inroot::Kind::regular_file, 0666));  // O_EXCL
}

TEST_CASE("inroot::exists follows symlinks, but only inside the root") {
    Tree t;
    fs::create_directories(t.root / "bin");
    std::ofstream(t.root / "bin/busybox").put('\n');
    fs::create_symlink("/bin/busybox", t.root / "bin/sh");  // absolute: means ROOT/bin/busybox
    std::ofstream(t.top / "decoy/sh").put('\n');
    fs::create_symlink("../../decoy/sh", t.root / "bin/escape");
    fd::Fd root = t.open_root();
    CHECK(inroot::exists(root, "/bin/sh"));
    CHECK_FALSE(inroot::exists(root, "/bin/escape"));  // ".." stops at the root
    CHECK(inroot::fd_path(root) == "/proc/self/fd/" + std::to_string(root.get()));
}

TEST_CASE("the sync channel keeps messages whole and passes fds") {
    auto [a, b] = channel::make_pair();
    CHECK(a.send(channel::Kind::failed, "mount(\"proc\"): EPERM"));
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(a.send(channel::Kind::console, {}, fd));
    ::close(fd);
    auto first = b.receive();
    REQUIRE(first);
    CHECK(first->kind == channel::Kind::failed);
    CHECK(first->text == "mount(\"proc\"): EPERM");
    auto second = b.receive();
    REQUIRE(second);
    CHECK(second->kind == channel::Kind::console);
    REQUIRE(second->fd.valid());
    CHECK((::fcntl(second->fd.get(), F_GETFD) & FD_CLOEXEC) != 0);  // MSG_CMSG_CLOEXEC
    a.close();
    CHECK_FALSE(b.receive());                // EOF
    CHECK_FALSE(b.send(channel::Kind::go));  // EPIPE, not SIGPIPE
}
