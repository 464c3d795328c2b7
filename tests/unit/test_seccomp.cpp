// Unit tests of chapter 10's profile loader: parsing, bad input, and the
// resolution of includes/excludes against small hand-written profiles.
// Building a filter needs no privilege (only loading it does), so the last
// tests build real libseccomp filters too.
#include <doctest/doctest.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "common/caps.hpp"
#include "common/error.hpp"
#include "common/seccomp.hpp"
#include "common/spec.hpp"

namespace fs = std::filesystem;
using seccomp::Action;
using seccomp::ActionKind;
using seccomp::Capabilities;
using seccomp::KernelVersion;
using seccomp::Op;
using seccomp::Resolved;
using seccomp::Target;

namespace {

// Docker's 14 capabilities, the container's final set (chapter 09's table).
const seccomp::Capabilities kDocker = seccomp::capabilities_of(caps::docker_default());

Capabilities with(Capabilities caps, int extra) {
    caps.insert(extra);
    return caps;
}

seccomp::Profile parse(const std::string& text) {
    return seccomp::parse(text, "t.json");
}

// The message parse() refuses `text` with.
std::string refusal(const std::string& text) {
    try {
        parse(text);
    } catch (const error::UsageError& e) {
        return e.what();
    }
    return "(accepted)";
}

// A profile of one rule with `conditions` ("\"includes\": {...}").
std::string one_rule(const std::string& conditions) {
    return R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["getpid"], "action": "SCMP_ACT_ALLOW")" +
           (conditions.empty() ? "" : ", " + conditions) + "}]}";
}

// Whether the one rule of `text` is kept for `target`.
bool kept(const std::string& conditions, const Target& target) {
    return seccomp::resolve(parse(one_rule(conditions)), target).rules.size() == 1;
}

Target amd64(Capabilities caps = kDocker, KernelVersion kernel = {6, 18}) {
    return {std::move(caps), "amd64", kernel};
}

// What a resolved profile does with a call no matter its arguments:
// "ALLOW", "ERRNO(n)", "default", or "args" when it depends on them.
std::string verdict(const Resolved& resolved, const std::string& name) {
    std::string found = "default";
    for (const seccomp::Rule& rule : resolved.rules) {
        if (rule.action == resolved.default_action) continue;  // left out, as build() does
        if (std::find(rule.names.begin(), rule.names.end(), name) == rule.names.end()) continue;
        if (!rule.args.empty()) return "args";
        found = rule.action.kind == ActionKind::allow
                    ? "ALLOW"
                    : "ERRNO(" + std::to_string(rule.action.data) + ")";
    }
    return found;
}

// Every x86-64 system call libseccomp knows, by name.
std::set<std::string> x86_64_calls() {
    std::set<std::string> names;
    for (int nr = 0; nr < 1024; ++nr) {
        char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (name == nullptr) continue;
        names.insert(name);
        free(name);
    }
    return names;
}

}  // namespace

TEST_CASE("the default profile parses, and says what it does") {
    const seccomp::Profile& profile = seccomp::default_profile();
    CHECK(profile.default_action == Action{ActionKind::errno_, EPERM});
    CHECK(seccomp::describe(profile.default_action) == "SCMP_ACT_ERRNO(EPERM)");
    CHECK(profile.rules.size() > 30);
    CHECK(profile.ignored.empty());
    for (const seccomp::Rule& rule : profile.rules)
        CHECK_MESSAGE(!rule.comment.empty(), rule.where << " has no comment");
}

TEST_CASE("actions, errnos and argument tests are read as written") {
    auto profile = parse(R"({"defaultAction": "SCMP_ACT_LOG", "syscalls": [
        {"names": ["a"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["b"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["c"], "action": "SCMP_ACT_KILL"},
        {"names": ["d"], "action": "SCMP_ACT_KILL_PROCESS"},
        {"names": ["e"], "action": "SCMP_ACT_TRAP"},
        {"names": ["f"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
        {"name": "g", "action": "SCMP_ACT_ALLOW", "args": [
            {"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"},
            {"index": 5, "value": 18446744073709551615, "valueTwo": 3, "op": "SCMP_CMP_GE"}]}]})");
    REQUIRE(profile.rules.size() == 7);
    CHECK(profile.default_action == Action{ActionKind::log, 0});
    CHECK(profile.rules[0].action == Action{ActionKind::errno_, EPERM});  // runc's default
    CHECK(profile.rules[1].action == Action{ActionKind::errno_, ENOSYS});
    CHECK(profile.rules[2].action.kind == ActionKind::kill_thread);
    CHECK(profile.rules[3].action.kind == ActionKind::kill_process);
    CHECK(profile.rules[4].action.kind == ActionKind::trap);
    CHECK(profile.rules[5].action == Action{ActionKind::trace, 7});
    CHECK(profile.rules[6].names == std::vector<std::string>{"g"});
    REQUIRE(profile.rules[6].args.size() == 2);
    CHECK(profile.rules[6].args[0].op == Op::masked_eq);
    CHECK(profile.rules[6].args[0].value == 0x7E020000);
    CHECK(profile.rules[6].args[0].value_two == 0);
    CHECK(profile.rules[6].args[1].index == 5);
    CHECK(profile.rules[6].args[1].value == UINT64_MAX);
    CHECK(profile.rules[6].args[1].op == Op::ge);
    CHECK(profile.rules[6].where == "syscalls[6]");
}

TEST_CASE("bad input is refused in one line that names the place and the value") {
    // Malformed JSON: file, line and column.
    CHECK(refusal("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [ nope ]\n}")
              .starts_with("t.json:3:18: not valid JSON: "));  // where "nope" stops being JSON
    CHECK(refusal("").starts_with("t.json:1:1: not valid JSON: "));
    CHECK(refusal(R"({"defaultAction": "SCMP_ACT_ERRNO",)").starts_with("t.json:1:36:"));
    // Unknown names, with where they are.
    CHECK(refusal(R"({"defaultAction": "SCMP_ACT_DENY"})") ==
          "t.json: defaultAction: unknown action \"SCMP_ACT_DENY\" (known: SCMP_ACT_KILL, "
          "SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, "
          "SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_ALLOW)");
    std::string rule = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["x"], )";
    CHECK(refusal(rule + R"("action": "allow"}]})")
              .starts_with("t.json: syscalls[0].action: unknown action \"allow\""));
    CHECK(refusal(rule +
                  R"("action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_IN"}]}]})")
              .starts_with("t.json: syscalls[0].args[0].op: unknown operator \"SCMP_CMP_IN\""));
    CHECK(
        refusal(rule +
                R"("action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "op": "SCMP_CMP_EQ"}]}]})") ==
        "t.json: syscalls[0].args[0].index: argument index 6 is over 5: a system call has 6 "
        "arguments, 0-5");
    CHECK(
        refusal(
            rule +
            R"("action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]})")
            .find("args[0].value: expected a whole number") != std::string::npos);
    CHECK(refusal(rule +
                  R"("action": "SCMP_ACT_ALLOW", "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}]})")
              .find("no \"index\"") != std::string::npos);
    // NOTIFY is refused with a reason.
    CHECK(refusal(rule + R"("action": "SCMP_ACT_NOTIFY"}]})").find("supervisor") !=
          std::string::npos);
    // errnoRet where it means nothing, or out of range.
    CHECK(refusal(rule + R"("action": "SCMP_ACT_ALLOW", "errnoRet": 1}]})")
              .find("syscalls[0].errnoRet: SCMP_ACT_ALLOW answers no errno") != std::string::npos);
    CHECK(refusal(rule + R"("action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]})")
              .find("5000 is too large") != std::string::npos);
    // The shape of things.
    CHECK(refusal(R"({"syscalls": []})").find("no \"defaultAction\"") != std::string::npos);
    CHECK(refusal(R"([1, 2])") == "t.json: a profile is a JSON object ({...})");
    CHECK(refusal(rule + R"("name": "y", "action": "SCMP_ACT_ALLOW"}]})")
              .find("both \"name\" and \"names\"") != std::string::npos);
    CHECK(
        refusal(
            R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]})")
            .find("no system call names") != std::string::npos);
    CHECK(
        refusal(
            R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]})")
            .find("syscalls[0].names: expected a list of strings") != std::string::npos);
    CHECK(
        refusal(
            R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})")
            .find("not supported") != std::string::npos);
    for (const char* version : {"4", "4.8.1", "0.0", "a.b", "4.x", "256.1", "-1.2"})
        CHECK_MESSAGE(
            refusal(one_rule(std::string(R"("includes": {"minKernel": ")") + version + "\"}"))
                    .find("is not a kernel version") != std::string::npos,
            std::string(version));
}

TEST_CASE("keys the loader does not use are listed, not fatal (Docker ignores them too)") {
    auto profile = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS",
        "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ALLOW", "frob": 1}]})");
    CHECK(profile.ignored == std::vector<std::string>{"defaultErrno", "syscalls[0].frob"});
}

TEST_CASE("read_file: a missing file, a directory and a good file") {
    CHECK_THROWS_WITH_AS(seccomp::read_file("/nonexistent/p.json"),
                         "/nonexistent/p.json: no such file", error::UsageError);
    CHECK_THROWS_WITH_AS(seccomp::read_file("/"), "/: not a regular file", error::UsageError);
    // A FIFO is refused at once, not read (it would wait for a writer).
    fs::path fifo = fs::temp_directory_path() / "unshared-test-fifo";
    fs::remove(fifo);
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(seccomp::read_file(fifo), doctest::Contains("not a regular file"),
                         error::UsageError);
    fs::remove(fifo);
    fs::path file = fs::temp_directory_path() / "unshared-test-profile.json";
    std::ofstream(file) << R"({"defaultAction": "SCMP_ACT_ALLOW"})";
    CHECK(seccomp::read_file(file).origin == file.string());
    fs::remove(file);
}

TEST_CASE("includes.caps: kept only if the container has every capability listed") {
    std::string admin = R"("includes": {"caps": ["CAP_SYS_ADMIN"]})";
    std::string both = R"("includes": {"caps": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]})";
    CHECK_FALSE(kept(admin, amd64()));
    CHECK(kept(admin, amd64(with(kDocker, CAP_SYS_ADMIN))));
    CHECK_FALSE(kept(both, amd64(with(kDocker, CAP_SYS_ADMIN))));
    CHECK(kept(both, amd64(with(with(kDocker, CAP_SYS_ADMIN), CAP_NET_ADMIN))));
    // A name capabilities(7) does not know is never held.
    CHECK_FALSE(kept(R"("includes": {"caps": ["CAP_SYS_WIZARD"]})", amd64({0, 1, 2, 21})));
    // Names are compared as written, as Docker does: "sys_admin" is not CAP_SYS_ADMIN.
    CHECK_FALSE(kept(R"("includes": {"caps": ["sys_admin"]})", amd64({CAP_SYS_ADMIN})));
    CHECK(seccomp::capability_number("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
    CHECK_FALSE(seccomp::capability_number("CAP_sys_admin"));
    CHECK_FALSE(seccomp::capability_number("SYS_ADMIN"));
    // Chapter 09's masks become sets of numbers.
    CHECK(kDocker.size() == 14);
    CHECK(seccomp::capabilities_of(caps::bit(CAP_BPF) | caps::bit(CAP_CHOWN)) ==
          Capabilities{CAP_CHOWN, CAP_BPF});
}

TEST_CASE("excludes.caps: left out if the container has any capability listed") {
    std::string excl = R"("excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]})";
    CHECK(kept(excl, amd64()));
    CHECK_FALSE(kept(excl, amd64(with(kDocker, CAP_BPF))));
    CHECK_FALSE(kept(excl, amd64(with(kDocker, CAP_SYS_ADMIN))));
    CHECK(kept(excl, amd64({})));
}

TEST_CASE("arches: includes and excludes by Docker's name for the machine") {
    std::string arm = R"("includes": {"arches": ["arm", "arm64"]})";
    CHECK_FALSE(kept(arm, amd64()));
    CHECK(kept(arm, {kDocker, "arm64", {6, 1}}));
    CHECK(kept(R"("includes": {"arches": ["amd64", "x32"]})", amd64()));
    CHECK_FALSE(kept(R"("excludes": {"arches": ["s390", "s390x"]})", {kDocker, "s390x", {6, 1}}));
    CHECK(kept(R"("excludes": {"arches": ["s390", "s390x"]})", amd64()));
    CHECK(std::string(seccomp::native_arch_name()) == "amd64");  // this machine
}

TEST_CASE("minKernel: includes from that version on, excludes before it") {
    std::string from48 = R"("includes": {"minKernel": "4.8"})";
    CHECK_FALSE(kept(from48, amd64(kDocker, {4, 7})));
    CHECK(kept(from48, amd64(kDocker, {4, 8})));
    CHECK(kept(from48, amd64(kDocker, {5, 0})));
    CHECK(kept(from48, amd64(kDocker, {6, 18})));
    std::string until48 = R"("excludes": {"minKernel": "4.8"})";
    CHECK(kept(until48, amd64(kDocker, {4, 7})));
    CHECK_FALSE(kept(until48, amd64(kDocker, {4, 8})));
    CHECK_FALSE(kept(until48, amd64(kDocker, {4, 10})));  // 4.10 > 4.8: numbers, not text
    CHECK(kept(R"("includes": {"minKernel": ""})", amd64(kDocker, {2, 6})));  // "" = none
    KernelVersion running = seccomp::running_kernel();
    CHECK(running >= KernelVersion{3, 5});  // seccomp-bpf's own minimum
}

TEST_CASE("includes and excludes together: every condition must let the rule in") {
    // Docker's clone rule: without CAP_SYS_ADMIN, and not on IBM Z.
    std::string clone = R"("excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]},
                           "includes": {"minKernel": "3.10"})";
    CHECK(kept(clone, amd64()));
    CHECK_FALSE(kept(clone, amd64(with(kDocker, CAP_SYS_ADMIN))));
    CHECK_FALSE(kept(clone, {kDocker, "s390x", {6, 1}}));
    CHECK_FALSE(kept(clone, amd64(kDocker, {3, 9})));
    // --explain says why.
    auto resolved = seccomp::resolve(parse(one_rule(clone)), amd64(with(kDocker, CAP_SYS_ADMIN)));
    REQUIRE(resolved.notes.size() == 1);
    CHECK(resolved.notes[0] ==
          "skip syscalls[0] (SCMP_ACT_ALLOW: getpid): excluded: the container has CAP_SYS_ADMIN");
}

TEST_CASE("archMap: this machine's entry and its sub-architectures; architectures as given") {
    std::string map = R"({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
        {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}]})";
    using Arches = std::vector<std::string>;
    CHECK(seccomp::resolve(parse(map), amd64()).architectures ==
          Arches{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
    CHECK(seccomp::resolve(parse(map), {kDocker, "arm64", {6, 1}}).architectures ==
          Arches{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"});
    CHECK(seccomp::resolve(parse(map), {kDocker, "riscv64", {6, 1}}).architectures ==
          Arches{"SCMP_ARCH_RISCV64"});
    CHECK(seccomp::resolve(parse(map), {kDocker, "s390x", {6, 1}}).architectures.empty());
    // A kernel without the x32 ABI: x32 is left out (its calls never run).
    seccomp::Target no_x32 = amd64();
    no_x32.absent = {"SCMP_ARCH_X32"};
    CHECK(seccomp::resolve(parse(map), no_x32).architectures ==
          Arches{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
    auto old = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"]})");
    CHECK(seccomp::resolve(old, amd64()).architectures == Arches{"SCMP_ARCH_X86"});
    auto both = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],
        "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})");
    CHECK_THROWS_WITH_AS(seccomp::resolve(both, amd64()),
                         doctest::Contains("both \"architectures\" and \"archMap\""),
                         error::UsageError);
}

TEST_CASE("the default profile blocks on x86-64 what Docker's default blocks") {
    // What moby/profiles' default.json (2025) leaves blocked on x86-64 for a
    // container with Docker's 14 capabilities on a recent kernel, among the
    // calls libseccomp 2.5.4 knows: computed from that profile by Docker's
    // rules; checked here against ours.
    const std::set<std::string> blocked{"_sysctl",
                                        "acct",
                                        "add_key",
                                        "afs_syscall",
                                        "bpf",
                                        "clock_settime",
                                        "create_module",
                                        "delete_module",
                                        "fanotify_init",
                                        "finit_module",
                                        "fsconfig",
                                        "fsmount",
                                        "fsopen",
                                        "fspick",
                                        "get_kernel_syms",
                                        "get_mempolicy",
                                        "getpmsg",
                                        "init_module",
                                        "io_uring_enter",
                                        "io_uring_register",
                                        "io_uring_setup",
                                        "ioperm",
                                        "iopl",
                                        "kcmp",
                                        "kexec_file_load",
                                        "kexec_load",
                                        "keyctl",
                                        "lookup_dcookie",
                                        "mbind",
                                        "migrate_pages",
                                        "mount",
                                        "mount_setattr",
                                        "move_mount",
                                        "move_pages",
                                        "nfsservctl",
                                        "open_by_handle_at",
                                        "open_tree",
                                        "perf_event_open",
                                        "pidfd_getfd",
                                        "pivot_root",
                                        "process_madvise",
                                        "putpmsg",
                                        "query_module",
                                        "quotactl",
                                        "quotactl_fd",
                                        "reboot",
                                        "request_key",
                                        "security",
                                        "set_mempolicy",
                                        "set_mempolicy_home_node",
                                        "setdomainname",
                                        "sethostname",
                                        "setns",
                                        "settimeofday",
                                        "swapoff",
                                        "swapon",
                                        "sysfs",
                                        "syslog",
                                        "tuxcall",
                                        "umount2",
                                        "unshare",
                                        "uselib",
                                        "userfaultfd",
                                        "ustat",
                                        "vhangup",
                                        "vserver"};
    const std::set<std::string> by_argument{"clone", "personality", "socket"};
    Resolved resolved = seccomp::resolve(seccomp::default_profile(), amd64());
    for (const std::string& name : x86_64_calls()) {
        std::string expected = blocked.count(name)       ? "default"
                               : by_argument.count(name) ? "args"
                               : name == "clone3"        ? "ERRNO(38)"
                                                         : "ALLOW";
        CHECK_MESSAGE(verdict(resolved, name) == expected, name);
    }
    // A capability opens exactly its calls, as in Docker.
    Resolved admin =
        seccomp::resolve(seccomp::default_profile(), amd64(with(kDocker, CAP_SYS_ADMIN)));
    for (const char* name : {"mount", "unshare", "setns", "clone", "clone3", "bpf", "umount2"})
        CHECK_MESSAGE(verdict(admin, name) == "ALLOW", std::string(name));
    CHECK(verdict(admin, "pivot_root") == "default");  // never, even with CAP_SYS_ADMIN
    CHECK(verdict(admin, "keyctl") == "default");
    Resolved time =
        seccomp::resolve(seccomp::default_profile(), amd64(with(kDocker, CAP_SYS_TIME)));
    CHECK(verdict(time, "clock_settime") == "ALLOW");
    // ptrace: allowed from kernel 4.8 on, before that only with CAP_SYS_PTRACE.
    CHECK(verdict(resolved, "ptrace") == "ALLOW");
    CHECK(verdict(seccomp::resolve(seccomp::default_profile(), amd64(kDocker, {4, 7})), "ptrace") ==
          "default");
    CHECK(verdict(seccomp::resolve(seccomp::default_profile(),
                                   amd64(with(kDocker, CAP_SYS_PTRACE), {4, 7})),
                  "ptrace") == "ALLOW");
}

TEST_CASE("filters build from the default profile and from hand-written ones") {
    seccomp::Filter filter = seccomp::build(seccomp::resolve(seccomp::default_profile(), amd64()));
    CHECK_FALSE(filter.empty());
    CHECK(filter.rules_added > 300);
    for (const std::string& name : filter.unknown_names)
        CHECK(seccomp_syscall_resolve_name(name.c_str()) == __NR_SCMP_ERROR);
    // Moving hands the context over; the moved-from filter is "no filter".
    seccomp::Filter moved = std::move(filter);
    CHECK(filter.empty());  // NOLINT(bugprone-use-after-move): that is the point
    CHECK_FALSE(moved.empty());
    // A rule whose action is the default is left out, not an error.
    auto same = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
    CHECK(seccomp::build(seccomp::resolve(same, amd64())).rules_added == 0);
    // Names libseccomp does not know are skipped and listed.
    auto unknown = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["getpid", "no_such_call"], "action": "SCMP_ACT_ALLOW"}]})");
    seccomp::Filter f = seccomp::build(seccomp::resolve(unknown, amd64()));
    CHECK(f.rules_added == 1);
    CHECK(f.unknown_names == std::vector<std::string>{"no_such_call"});
    // An architecture libseccomp does not know is bad input.
    auto arch = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_Z80"]})");
    CHECK_THROWS_AS(seccomp::build(seccomp::resolve(arch, amd64())), error::UsageError);
    // Two rules with the same tests and different actions: libseccomp refuses.
    auto clash = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["getpid"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]})");
    CHECK_THROWS_WITH_AS(seccomp::build(seccomp::resolve(clash, amd64())),
                         doctest::Contains("syscalls[1]: libseccomp refuses"), error::UsageError);
    // Without tests, the first rule decides and a later one never applies:
    // accepted (as by Docker), and listed.
    auto shadow = parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["getpid"], "action": "SCMP_ACT_KILL"}]})");
    CHECK(seccomp::build(seccomp::resolve(shadow, amd64())).shadowed ==
          std::vector<std::string>{"syscalls[1] (SCMP_ACT_KILL_THREAD getpid) never applies: "
                                   "syscalls[0] decides getpid first (SCMP_ACT_ALLOW)"});
    CHECK(seccomp::build(seccomp::resolve(seccomp::default_profile(), amd64())).shadowed.empty());
}

TEST_CASE("the --seccomp-profile option: default, unconfined, a file, bad input") {
    spec::Spec spec;
    auto finish = [&](const std::string& choice) {
        spec.seccomp = {};
        spec.seccomp.choice = choice;
        seccomp::options.finish(spec);
    };
    finish("default");
    CHECK(spec.seccomp.confined);
    CHECK(seccomp::profile_of(spec.seccomp).origin == "default (profiles/default.json)");
    CHECK(spec.seccomp.text == seccomp::default_profile_json());  // parsed only when needed
    finish("unconfined");
    CHECK_FALSE(spec.seccomp.confined);
    CHECK(seccomp::prepare(spec.seccomp, kDocker).empty());
    CHECK_THROWS_WITH_AS(finish("/nonexistent.json"),
                         "--seccomp-profile /nonexistent.json: no such file", error::UsageError);
    CHECK_THROWS_AS(finish(""), error::UsageError);
}
