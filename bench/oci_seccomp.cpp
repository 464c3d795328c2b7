// oci_seccomp: the seccomp filter 11-full loads, for the other runtimes of bench/runtimes.
//
//   oci_seccomp json   the profile as an OCI config.json wants it (the "seccomp" object
//                      of "linux"), for crun and runc
//   oci_seccomp bpf    the compiled BPF program (struct sock_filter[]), for bubblewrap's
//                      --seccomp FD
//   oci_seccomp caps   the capabilities it is resolved for, which the other runtimes
//                      must keep too: 11-full's default, Docker's 14 (cap_chown, ...)
//
// Both come from the same steps as 11-full's own filter with its defaults:
// profiles/default.json (Docker's format), resolved for Docker's 14
// capabilities, this machine's architecture and kernel (seccomp::resolve,
// which also leaves out x32 where the kernel cannot run it), then, for
// `bpf`, built by seccomp::build and exported with seccomp_export_bpf(3).
// Docker's format has includes and excludes; the OCI format does not, so a
// runtime given the profile in OCI form must be given it resolved. Writing
// it here, from the project's own resolver, means the three runtimes load
// the same rules, not two readings of one file. A bench tool, never a test.
#include <seccomp.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/caps.hpp"
#include "common/seccomp.hpp"

namespace {

// The OCI (and libseccomp) name of an action: describe()'s without its
// argument ("SCMP_ACT_ERRNO(EPERM)" -> "SCMP_ACT_ERRNO"); the errno goes in "errnoRet".
std::string oci_action(const seccomp::Action& action) {
    std::string name = seccomp::describe(action);
    return name.substr(0, name.find('('));
}

// The profile parser's operator names, the other way round (its table is its own).
std::string_view oci_op(seccomp::Op op) {
    switch (op) {
        case seccomp::Op::ne:
            return "SCMP_CMP_NE";
        case seccomp::Op::lt:
            return "SCMP_CMP_LT";
        case seccomp::Op::le:
            return "SCMP_CMP_LE";
        case seccomp::Op::eq:
            return "SCMP_CMP_EQ";
        case seccomp::Op::ge:
            return "SCMP_CMP_GE";
        case seccomp::Op::gt:
            return "SCMP_CMP_GT";
        case seccomp::Op::masked_eq:
            return "SCMP_CMP_MASKED_EQ";
    }
    return "SCMP_CMP_EQ";
}

// ["a", "b"]: names and architectures are plain identifiers, nothing to escape.
std::string quoted_list(const std::vector<std::string>& words) {
    std::vector<std::string> quoted;
    for (const std::string& w : words) quoted.push_back(fmt::format("\"{}\"", w));
    return fmt::format("[{}]", fmt::join(quoted, ", "));
}

std::string oci_json(const seccomp::Resolved& resolved) {
    std::vector<std::string> rules;
    for (const seccomp::Rule& rule : resolved.rules) {
        std::string text = fmt::format("{{\"names\": {}, \"action\": \"{}\"",
                                       quoted_list(rule.names), oci_action(rule.action));
        if (rule.action.kind == seccomp::ActionKind::errno_)
            text += fmt::format(", \"errnoRet\": {}", rule.action.data);
        if (!rule.args.empty()) {
            std::vector<std::string> args;
            for (const seccomp::ArgCheck& a : rule.args)
                args.push_back(fmt::format(
                    "{{\"index\": {}, \"value\": {}, \"valueTwo\": {}, \"op\": \"{}\"}}", a.index,
                    a.value, a.value_two, oci_op(a.op)));
            text += fmt::format(", \"args\": [{}]", fmt::join(args, ", "));
        }
        rules.push_back(text + "}");
    }
    std::string head =
        fmt::format("{{\"defaultAction\": \"{}\"", oci_action(resolved.default_action));
    if (resolved.default_action.kind == seccomp::ActionKind::errno_)
        head += fmt::format(", \"defaultErrnoRet\": {}", resolved.default_action.data);
    if (!resolved.flags.empty())
        head += fmt::format(", \"flags\": {}", quoted_list(resolved.flags));
    return fmt::format("{}, \"architectures\": {},\n \"syscalls\": [\n  {}\n]}}\n", head,
                       quoted_list(resolved.architectures), fmt::join(rules, ",\n  "));
}

}  // namespace

int main(int argc, char** argv) {
    std::string_view what = argc == 2 ? argv[1] : "";
    if (what != "json" && what != "bpf" && what != "caps") {
        std::fputs(
            "usage: oci_seccomp json|bpf|caps   (11-full's default filter, for bench/runtimes)\n",
            stderr);
        return 2;
    }
    if (what == "caps") {
        std::puts(caps::names(caps::docker_default(), "\n", "cap_").c_str());
        return 0;
    }
    // 11-full's defaults: the default profile, Docker's 14 capabilities.
    seccomp::Resolved resolved =
        seccomp::resolve(seccomp::default_profile(),
                         seccomp::this_machine(seccomp::capabilities_of(caps::docker_default())));
    if (what == "json") {
        std::fputs(oci_json(resolved).c_str(), stdout);
        return 0;
    }
    seccomp::Filter filter = seccomp::build(resolved);
    int rc = seccomp_export_bpf(static_cast<scmp_filter_ctx>(filter.context()), STDOUT_FILENO);
    if (rc != 0) {
        std::fprintf(stderr, "oci_seccomp: seccomp_export_bpf: error %d\n", rc);
        return 1;
    }
    return 0;
}
