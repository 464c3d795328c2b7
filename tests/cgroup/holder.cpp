// cgroup-holder: a tiny runtime around common/cgroup, for tests/cgroup/t_cgroup.py.
//
// It does what chapter 08's runtime does with cgroups, and nothing else: a
// Ledger, cgroup::create, a child spawned into the cgroup (clone3 on v2,
// attach while it waits on v1), and the Ledger's undo at the end. The child
// then plays one part (--mode):
//   hold     sleeps until the holder's stdin closes (or the holder is killed)
//   hog      allocates and touches --size bytes (the memory limit)
//   forks    forks until fork(2) fails, at most 1000 times (the pids limit)
//   spin     spins a CPU for --seconds (the CPU limit)
//   view     cgroup namespace, the rootfs with the view of /sys/fs/cgroup,
//            then the command after `--`
//   replay   (no child) undoes the journals of dead runs in --state
// Output, one "key=value" per line on stdout: dir=, pid=, then for the
// modes that end by themselves status=, oom_kills=, cpu_usec=.
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/cgroup.hpp"
#include "common/cli.hpp"
#include "common/host.hpp"
#include "common/mnt.hpp"
#include "common/ns.hpp"
#include "common/process.hpp"

namespace {

struct Settings {
    std::string state = "/run/unshared";
    std::string name = "holder";
    std::string mode = "hold";
    std::string size = "256M";
    double seconds = 2;
    bool orphan = false;  // the child outlives a killed holder (no death signal)
} g;

void add_options(CLI::App& app, spec::Spec&) {
    app.add_option("--state", g.state, "The Ledger's state directory.");
    app.add_option("--name", g.name, "The cgroup's name (under unshared/).");
    app.add_option("--mode", g.mode, "hold, hog, forks, spin, view or replay.")
        ->check(CLI::IsMember({"hold", "hog", "forks", "spin", "view", "replay"}));
    app.add_option("--size", g.size, "hog: how much memory to touch.");
    app.add_option("--seconds", g.seconds, "spin: for how long.");
    app.add_flag("--orphan", g.orphan, "hold: the child survives a SIGKILL of the holder.");
}

const cli::Chapter kHolder{"cgroup-holder",
                           "Hold one cgroup around a child, for the cgroup tests.",
                           {mnt::options, cgroup::options, {"holder", add_options, nullptr}}};

void say(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

int hog() {
    const size_t bytes = cgroup::parse_size(g.size, "--size");
    const long page = ::sysconf(_SC_PAGESIZE);
    void* memory =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return 1;
    // Touch every page: only touched pages are charged to the cgroup.
    volatile char* p = static_cast<char*>(memory);
    for (size_t at = 0; at < bytes; at += static_cast<size_t>(page)) p[at] = 1;
    say(fmt::format("touched={}", bytes));
    return 0;
}

int forks() {
    std::vector<pid_t> children;
    int err = 0;
    while (children.size() < 1000) {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::pause();
            ::_exit(0);
        }
        if (pid < 0) {
            err = errno;
            break;
        }
        children.push_back(pid);
    }
    say(fmt::format("forked={} error={}", children.size(), err ? strerrorname_np(err) : "none"));
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    return 0;
}

int spin() {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(g.seconds);
    while (std::chrono::steady_clock::now() < end) {
    }
    return 0;
}

int child(const spec::Spec& spec) {
    if (g.mode == "view") {
        cgroup::enter_namespace();
        mnt::enter_root(spec.rootfs, spec.mounts);
        process::exec(spec.command);
    }
    process::report_running();  // no exec: let release() return
    if (g.mode == "hog") return hog();
    if (g.mode == "forks") return forks();
    if (g.mode == "spin") return spin();
    for (;;) ::pause();
}

int run(const spec::Spec& spec) {
    if (g.mode == "replay") {
        for (const host::Step& step : host::replay_dead_runs(g.state))
            say(fmt::format("replayed={} {} {}", step.kind, step.arg,
                            step.outcome == host::Outcome::undone ? "undone" : step.detail));
        return 0;
    }
    host::Ledger host{g.state};
    cgroup::Cgroup cg = cgroup::create(host, spec.cgroup, g.name);
    for (const cgroup::Cgroup::Dir& dir : cg.dirs()) say("dir=" + dir.path.string());
    ns::Set namespaces = g.mode == "view" ? ns::Set{ns::mount} : ns::Set{};
    process::Container container =
        process::spawn({namespaces, cg.fd(), !g.orphan}, [&] { return child(spec); });
    cg.attach(container.pid());
    container.release();
    say(fmt::format("pid={}", container.pid()));
    if (g.mode == "hold") {
        char byte;
        for (ssize_t n = 1; n != 0;) {
            n = ::read(STDIN_FILENO, &byte, 1);
            if (n < 0 && errno != EINTR) break;
        }
        return 0;  // ~Container kills and reaps the child, then ~Ledger removes the cgroup
    }
    int status = container.wait();
    auto usage = cg.cpu_usage();
    say(fmt::format("status={}\noom_kills={}\ncpu_usec={}", status, cg.oom_kills(),
                    usage ? usage->count() : -1));
    return cg.report_oom(status);
}

}  // namespace

int main(int argc, char** argv) {
    return cli::run(kHolder, argc, argv, run);
}
