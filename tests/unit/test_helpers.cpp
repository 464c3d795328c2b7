#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/explain.hpp"
#include "common/fd.hpp"
#include "common/ns.hpp"
#include "common/process.hpp"
#include "common/say.hpp"
#include "common/uts.hpp"

namespace fs = std::filesystem;

TEST_CASE("check_syscall names the call and the errno") {
    errno = EPERM;
    try {
        error::check_syscall(-1, "mount(\"proc\", \"/proc\")");
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()) == "mount(\"proc\", \"/proc\"): Operation not permitted");
        CHECK(e.code().value() == EPERM);
    }
    CHECK(error::check_syscall(3, "x") == 3);
}

TEST_CASE("check_negative_errno handles libseccomp's -errno returns") {
    CHECK_THROWS_WITH(error::check_negative_errno(-EINVAL, "seccomp_rule_add(clock_settime)"),
                      "seccomp_rule_add(clock_settime): Invalid argument");
    CHECK(error::check_negative_errno(0, "x") == 0);
}

TEST_CASE("describe adds a hint where the likely cause is known") {
    CHECK(error::describe(error::syscall_error(EPERM, "mount(\"proc\", \"/proc\")"))
              .find("hint: are you root?") != std::string::npos);
    CHECK(
        error::describe(error::syscall_error(EINVAL, "pivot_root(\".\", \".\")")).find("private") !=
        std::string::npos);
    CHECK(error::describe(std::runtime_error("plain")) == "plain");
}

TEST_CASE("Fd closes once and moves ownership") {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(raw >= 0);
    {
        fd::Fd a{raw};
        fd::Fd b = std::move(a);
        CHECK_FALSE(a.valid());
        CHECK(b.get() == raw);
    }
    CHECK(::fcntl(raw, F_GETFD) == -1);  // closed by b's destructor
    fd::Pipe p = fd::make_pipe();
    CHECK((::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("the namespace table gives clone flags, names and unshare options") {
    CHECK(ns::Set{ns::mount, ns::uts}.clone_flags() == (CLONE_NEWNS | CLONE_NEWUTS));
    CHECK(ns::Set{ns::uts, ns::mount}.flag_names() == "CLONE_NEWNS|CLONE_NEWUTS");
    CHECK(ns::Set{}.flag_names() == "0");
    CHECK(ns::Set{ns::mount, ns::ipc, ns::pid}.unshare_command() ==
          "unshare --mount --ipc --pid --fork");
    ns::Set set{ns::mount};
    set.add(ns::net).remove(ns::mount);
    CHECK(set.has(ns::net));
    CHECK_FALSE(set.has(ns::mount));
}

TEST_CASE("explain lines show the call, the shell equivalent and the man page") {
    std::string line = explain::format("01-chroot", {"chroot(\"r\")", "chroot r", "chroot(2)"});
    CHECK(line.rfind("[01-chroot] chroot(\"r\")", 0) == 0);
    CHECK(line.find("# shell: chroot r") != std::string::npos);
    CHECK(line.find("# man: chroot(2)") != std::string::npos);
    CHECK(explain::shell_quote("/bin/sh") == "/bin/sh");
    CHECK(explain::shell_quote("exit 3") == "'exit 3'");
    CHECK(explain::shell_quote("it's") == "'it'\\''s'");
    CHECK(explain::shell_quote("") == "''");
}

TEST_CASE("hostnames are checked before the kernel sees them") {
    CHECK(uts::check_hostname("web1").empty());
    CHECK(uts::check_hostname("a.b-c").empty());
    CHECK(uts::check_hostname(std::string(64, 'x')).empty());
    CHECK(uts::check_hostname(std::string(65, 'x')).find("at most 64") != std::string::npos);
    CHECK_FALSE(uts::check_hostname("").empty());
    CHECK_FALSE(uts::check_hostname("bad name").empty());
    CHECK_FALSE(uts::check_hostname("-x").empty());
    std::string generated = uts::generated_hostname();
    CHECK(generated.size() == 13);
    CHECK(uts::check_hostname(generated).empty());
}

TEST_CASE("wait statuses become exit statuses as a shell shows them") {
    CHECK(process::exit_status_of(0) == 0);
    CHECK(process::exit_status_of(7 << 8) == 7);
    CHECK(process::exit_status_of(SIGKILL) == 137);
    CHECK(process::exit_status_of(SIGTERM) == 143);
}

namespace {
cli::ParseResult parse(std::vector<std::string> words, const cli::Chapter& chapter) {
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    return cli::parse(chapter, static_cast<int>(argv.size()), argv.data());
}

// A throwaway directory that looks like a rootfs: it has /bin/sh.
struct FakeRootfs {
    fs::path dir = fs::temp_directory_path() / ("unshared-unit-" + std::to_string(::getpid()));
    FakeRootfs() {
        fs::create_directories(dir / "bin");
        std::ofstream(dir / "bin/busybox").put('\n');
        fs::create_symlink("busybox", dir / "bin/sh");
    }
    ~FakeRootfs() { fs::remove_all(dir); }
};
}  // namespace

TEST_CASE("the command line: defaults, options, bad input") {
    FakeRootfs rootfs;
    cli::Chapter uts_chapter{"03-uts", "test", {uts::options}};
    cli::Chapter chroot_chapter{"01-chroot", "test", {}};

    auto ok = parse({"03-uts", "--rootfs", rootfs.dir, "--hostname", "web1"}, uts_chapter);
    CHECK(ok.exit == -1);
    CHECK(ok.spec.uts.hostname == "web1");
    CHECK(ok.spec.command.argv == std::vector<std::string>{"/bin/sh"});
    CHECK(ok.spec.rootfs.is_absolute());

    auto command = parse({"01-chroot", "--rootfs", rootfs.dir, "--", "ls", "-l"}, chroot_chapter);
    CHECK(command.spec.command.argv == std::vector<std::string>{"ls", "-l"});

    auto generated = parse({"03-uts", "--rootfs", rootfs.dir}, uts_chapter);
    CHECK(generated.spec.uts.hostname.rfind("unshared-", 0) == 0);

    CHECK(parse({"03-uts", "--rootfs", "/nonexistent"}, uts_chapter).exit == 2);
    CHECK(parse({"03-uts", "--rootfs", rootfs.dir, "--hostname", std::string(65, 'x')}, uts_chapter)
              .exit == 2);
    CHECK(parse({"01-chroot", "--rootfs", rootfs.dir, "--hostname", "x"}, chroot_chapter).exit ==
          2);  // 01 has no --hostname
    CHECK(parse({"01-chroot", "--bogus"}, chroot_chapter).exit == 2);
    CHECK(parse({"03-uts", "--rootfs", rootfs.dir, "--hostname", ""}, uts_chapter).exit == 2);
    CHECK(parse({"03-uts", "--rootfs", "", "--hostname", "x"}, uts_chapter).exit == 2);
    CHECK(parse({"03-uts", "--rootfs", rootfs.dir, "--domainname", "a b"}, uts_chapter).exit == 2);
    fs::remove(rootfs.dir / "bin/sh");
    CHECK(parse({"01-chroot", "--rootfs", rootfs.dir}, chroot_chapter).exit == 2);
}

TEST_CASE("the container's environment is clean, plus -e") {
    ::setenv("UNSHARED_TEST_SECRET", "s3cr3t", 1);
    auto env = process::clean_environment("web1", {"A=1", "UNSHARED_TEST_SECRET", "PATH=/x"});
    auto has = [&](const std::string& entry) {
        return std::find(env.begin(), env.end(), entry) != env.end();
    };
    CHECK(has("HOSTNAME=web1"));
    CHECK(has("container=unshared"));
    CHECK(has("A=1"));
    CHECK(has("UNSHARED_TEST_SECRET=s3cr3t"));  // asked for by name
    CHECK(has("PATH=/x"));                      // -e overrides the default
    CHECK(std::count_if(env.begin(), env.end(), [](auto& e) { return e.rfind("PATH=", 0) == 0; }) ==
          1);
    auto plain = process::clean_environment("", {});
    CHECK(std::none_of(plain.begin(), plain.end(),
                       [](auto& e) { return e.rfind("UNSHARED_TEST_SECRET=", 0) == 0; }));
    CHECK_THROWS_AS(process::clean_environment("", {"=x"}), error::UsageError);
    ::unsetenv("UNSHARED_TEST_SECRET");
}

TEST_CASE("messages are one line, whatever the input holds") {
    CHECK(say::one_line("a\nb") == "a\\nb");
    CHECK(say::one_line("caf\xc3\xa9") == "caf\xc3\xa9");  // valid UTF-8 stays
    CHECK(say::one_line("\xff\x1b[2J") == "\\xff\\x1b[2J");
}

namespace {
// start_command's child, waited for: its exit status as a shell shows it.
int run_command(std::vector<std::string> argv, std::vector<std::string> env) {
    pid_t pid = process::start_command({std::move(argv), std::move(env)});
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return process::exit_status_of(status);
}
}  // namespace

TEST_CASE("start_command runs the command as exec() would, and leaves the caller as it was") {
    // The child of clone(CLONE_VM|CLONE_VFORK) writes to our memory
    // (environ) and runs with all signals blocked: both must be ours again.
    char** our_environ = ::environ;
    sigset_t before = process::block_signals({SIGUSR1});
    const std::vector<std::string> env{"PATH=/usr/bin:/bin", "MARK=yes"};

    CHECK(run_command({"/bin/sh", "-c", "test \"$MARK\" = yes && exit 7"}, env) == 7);
    // argv[0] is looked up in the command's PATH, not in ours.
    CHECK(run_command({"sh", "-c", "exit 3"}, env) == 3);
    // Only fds 0-2 reach the command.
    int open_fd = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: inheritable
    REQUIRE(open_fd > 2);
    CHECK(run_command({"/bin/sh", "-c", "test ! -e /proc/self/fd/" + std::to_string(open_fd)},
                      env) == 0);
    ::close(open_fd);
    {
        // A command that cannot run: 127 or 126 as a shell says, and one line on stderr.
        int saved_stderr = ::dup(STDERR_FILENO);
        int quiet = ::open("/dev/null", O_WRONLY);
        ::dup2(quiet, STDERR_FILENO);
        int not_found = run_command({"unshared-no-such-command"}, {"PATH=/nonexistent"});
        int not_executable = run_command({"/dev/null"}, env);  // not a regular file: EACCES
        ::dup2(saved_stderr, STDERR_FILENO);
        ::close(quiet);
        ::close(saved_stderr);
        CHECK(not_found == 127);
        CHECK(not_executable == 126);
    }

    CHECK(::environ == our_environ);
    CHECK(::getenv("MARK") == nullptr);
    sigset_t now;
    ::sigprocmask(SIG_SETMASK, &before, &now);
    CHECK(sigismember(&now, SIGUSR1) == 1);
    CHECK(sigismember(&now, SIGUSR2) == 0);
}
