// caps_apply: the drop of chapter 09, on its own, for tests/caps/caps_root.py.
//
//   caps_apply [--dirty] [09's options] -- PROGRAM [ARGS...]
//       applies what the child of chapter 09 applies, in its order
//       (caps::drop, no_new_privs, switch_user), then execs PROGRAM;
//   caps_apply status
//       prints the five sets, no_new_privs, the ids, the groups and the
//       death signal, as key=value, from /proc/self/status and prctl(2).
//
// --dirty first makes the process as careless a parent would leave it
// (started from `capsh --inh=... --addamb=...`): every permitted capability
// inheritable and ambient, supplementary groups 0 and 42, a death signal.
// So a drop that forgets a set shows it, instead of finding it empty anyway.
//
// --no-exec prints the status in this process, after the steps, instead of
// exec'ing: what a process that goes on without execve(2) keeps (the
// container's init of 05-pid), where no execve recomputes the sets.
//
// --only STEP runs one step of the drop alone (bounding, ambient, sets), and
// nothing else: each step must empty its own set without leaning on the
// others (emptying inheritable, for one, also lowers ambient).
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/caps.hpp"
#include "common/cli.hpp"
#include "common/error.hpp"
#include "common/explain.hpp"

namespace {

using error::check_syscall;

int status() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        size_t colon = line.find(':');
        std::string key = line.substr(0, colon);
        if (key.starts_with("Cap") || key == "NoNewPrivs" || key == "Uid" || key == "Gid" ||
            key == "Groups") {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.pop_back();
            for (char& c : value)
                if (c == ' ' || c == '\t') c = ',';
            std::printf("%s=%s\n", key.c_str(), value.empty() ? "none" : value.c_str());
        }
    }
    int death_signal = 0;
    check_syscall(::prctl(PR_GET_PDEATHSIG, &death_signal, 0, 0, 0), "prctl(PR_GET_PDEATHSIG)");
    std::printf("PdeathSig=%d\n", death_signal);
    return 0;
}

// Every permitted capability inheritable, then ambient; groups 0 and 42; a death signal.
void make_dirty() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    check_syscall(::syscall(SYS_capget, &header, data), "capget(2)");
    for (auto& half : data) half.inheritable = half.permitted;
    check_syscall(::syscall(SYS_capset, &header, data), "capset(inheritable=permitted)");
    caps::Sets sets = caps::current();
    for (int cap = 0; cap <= caps::last_cap(); ++cap)
        if ((sets.permitted & sets.inheritable & caps::bit(cap)) != 0)
            check_syscall(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0),
                          "prctl(PR_CAP_AMBIENT_RAISE)");
    gid_t groups[] = {0, 42};
    check_syscall(::setgroups(2, groups), "setgroups(0, 42)");
    check_syscall(::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "status") == 0) return status();
    // --dirty is ours; the rest is chapter 09's command line (its option group).
    std::vector<char*> args{argv[0]};
    bool dirty = false, no_exec = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--dirty") == 0)
            dirty = true;
        else if (std::strcmp(argv[i], "--no-exec") == 0)
            no_exec = true;
        else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else
            args.push_back(argv[i]);
    }
    const cli::Chapter chapter{"caps_apply", "Chapter 09's drop, alone.", {caps::options}};
    cli::ParseResult parsed = cli::parse(chapter, static_cast<int>(args.size()), args.data());
    if (parsed.exit >= 0) return parsed.exit;
    const spec::Spec& spec = parsed.spec;
    if (spec.explain) explain::enable(chapter.name);
    try {
        if (dirty) make_dirty();
        // Chapter 09's order (design.md, section 11): the drop, no_new_privs,
        // (Landlock, seccomp: chapter 10), the user; then exec.
        if (only == "bounding") {
            caps::drop_bounding(spec.caps.keep);
        } else if (only == "ambient") {
            caps::clear_ambient();
        } else if (only == "sets") {
            caps::set_process_sets(spec.caps.keep & caps::current().permitted);
        } else if (!only.empty()) {
            std::fprintf(stderr, "caps_apply: --only bounding|ambient|sets\n");
            return 2;
        } else {
            caps::drop(spec.caps);
            if (spec.caps.no_new_privs) caps::set_no_new_privs();
            if (spec.caps.user) caps::switch_user(*spec.caps.user, spec.caps.keep);
        }
        if (no_exec) return status();
        std::vector<char*> command;
        for (const std::string& word : spec.command.argv)
            command.push_back(const_cast<char*>(word.c_str()));
        command.push_back(nullptr);
        check_syscall(::execv(command[0], command.data()), std::string("execv ") + command[0]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "caps_apply: %s\n", error::describe(e).c_str());
        return 125;
    }
}
