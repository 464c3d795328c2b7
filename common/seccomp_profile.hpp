// seccomp_profile.hpp: chapter 10's profiles, in Docker's (moby's) JSON format.
//
// A profile says what the kernel does with each system call the container
// makes: a default action (Docker's: fail with EPERM) and rules that allow
// some calls, or answer them otherwise, maybe only for some argument values.
// A rule may also carry conditions, `includes` and `excludes`, on the
// container's capabilities, the machine's architecture and the running
// kernel: the same file then gives each container the filter that fits it.
//
// This file is the JSON side, pure (no libseccomp, no system call), in two
// steps that the unit tests check on small hand-written profiles:
//   parse()    JSON text -> Profile. Bad input is an error::UsageError of one
//              line naming the place: "FILE:LINE:COLUMN: ..." for malformed
//              JSON, "FILE: syscalls[3].action: ..." for a bad value.
//   resolve()  Profile + Target -> Resolved: the rules this container gets.
//              includes/excludes are decided the way Docker's engine decides
//              them before it hands the profile to runc (moby/profiles,
//              seccomp/seccomp_linux.go), in the same order.
// seccomp.hpp then builds the kernel's filter from a Resolved.
#pragma once

#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace seccomp {

// What the kernel does with a matching call (seccomp(2), "Filter return
// values"). The profile names them SCMP_ACT_*, as libseccomp does.
enum class ActionKind {
    kill_thread,   // SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD: the thread dies of SIGSYS
    kill_process,  // SCMP_ACT_KILL_PROCESS (Linux 4.14): the whole process dies
    trap,          // SCMP_ACT_TRAP: SIGSYS, which the process may catch
    errno_,        // SCMP_ACT_ERRNO: the call is not made and fails with `data`
    trace,         // SCMP_ACT_TRACE: a ptrace(2) tracer decides; none: ENOSYS
    log,           // SCMP_ACT_LOG (Linux 4.14): the call runs and is logged
    allow,         // SCMP_ACT_ALLOW: the call runs
};

struct Action {
    ActionKind kind = ActionKind::allow;
    uint16_t data = 0;  // the errno of ERRNO, the message of TRACE
    bool operator==(const Action&) const = default;
};

// "SCMP_ACT_ERRNO(EPERM)", "SCMP_ACT_ALLOW": for messages and --explain.
std::string describe(const Action& action);

// A test of one argument of the call. The filter sees the six argument
// registers as numbers: it can test a flag, never what a pointer points to.
enum class Op { ne, lt, le, eq, ge, gt, masked_eq };
inline constexpr unsigned kMaxArgs = 6;  // a system call has at most 6 arguments

struct ArgCheck {
    unsigned index = 0;      // 0-5
    uint64_t value = 0;      // the value; for masked_eq the mask
    uint64_t value_two = 0;  // for masked_eq: what (argument & mask) must equal
    Op op = Op::eq;
};

// A kernel version as minKernel writes it: "4.8" (the patch level and any
// suffix of the running kernel's release are ignored, as Docker does).
struct KernelVersion {
    unsigned major = 0;
    unsigned minor = 0;
    auto operator<=>(const KernelVersion&) const = default;
};

// The `includes` or `excludes` of a rule (Docker calls it a Filter).
struct Condition {
    std::vector<std::string> caps;    // "CAP_SYS_ADMIN"
    std::vector<std::string> arches;  // Docker's names: "amd64", "arm64", "x86", "s390x", ...
    std::optional<KernelVersion> min_kernel;
};

struct Rule {
    std::string where;  // "syscalls[12]": where the profile says it
    std::vector<std::string> names;
    Action action;
    std::vector<ArgCheck> args;  // all must hold (but see seccomp.cpp on a repeated index)
    Condition includes, excludes;
    std::string comment;
};

struct ArchMapEntry {
    std::string arch;                     // "SCMP_ARCH_X86_64"
    std::vector<std::string> sub_arches;  // "SCMP_ARCH_X86", "SCMP_ARCH_X32"
};

struct Profile {
    std::string origin;  // the file, or "default": how messages name it
    Action default_action;
    std::vector<std::string> architectures;  // the older form: a plain list of SCMP_ARCH_*
    std::vector<ArchMapEntry> arch_map;      // the newer form: one entry per machine
    std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW, _TSYNC
    std::vector<Rule> rules;
    std::vector<std::string> ignored;  // keys this loader does not use ("syscalls[3].foo")
};

// Parses a profile; `origin` names it in messages. Throws error::UsageError.
Profile parse(std::string_view json, const std::string& origin);

// The text of FILE. A missing or unreadable file, or one that is not a
// regular file, is an error::UsageError naming it.
std::string read_text(const std::filesystem::path& file);

// Reads and parses FILE. A missing or unreadable file, or one that is not a
// regular file, is an error::UsageError naming it.
Profile read_file(const std::filesystem::path& file);

// The project's own default profile (profiles/default.json, compiled into
// the binary at build time: see common/CMakeLists.txt), parsed once, the
// first time it is asked for.
const Profile& default_profile();

// How messages name it (its Profile::origin).
inline constexpr std::string_view kDefaultOrigin = "default (profiles/default.json)";

// The text of profiles/default.json, as compiled in.
std::string_view default_profile_json();

// The container's capabilities, as numbers (capabilities(7): CAP_CHOWN is 0).
using Capabilities = std::set<int>;

// What includes and excludes are decided against.
struct Target {
    Capabilities capabilities;  // the container's final set (Docker looks at the bounding set)
    std::string arch;           // Docker's name for the machine: "amd64" on x86-64
    KernelVersion kernel;       // the running kernel
    // Sub-architectures of archMap this kernel cannot run at all: x32 on an
    // x86-64 kernel built without CONFIG_X86_X32_ABI. Their calls never reach
    // a system call, and covering them makes the filter much longer.
    std::vector<std::string> absent{};
};

// The target for a container with `capabilities` on this machine: the
// architecture this program was built for (Docker uses the engine's own,
// Go's GOARCH, the same idea) and the running kernel (uname(2)).
Target this_machine(Capabilities capabilities);

// A profile decided for one target: what the filter will be built from.
struct Resolved {
    std::string origin;
    Action default_action;
    std::vector<std::string> architectures;  // SCMP_ARCH_* to add to the native one
    std::vector<std::string> flags;
    std::vector<Rule> rules;           // the rules kept, in the profile's order
    std::vector<std::string> notes;    // why each conditional rule was kept or skipped
    std::vector<std::string> skipped;  // the `where` of each rule left out
};

// Decides every rule's includes and excludes for `target`. Throws
// error::UsageError only for what Docker also refuses (both `architectures`
// and `archMap`).
Resolved resolve(const Profile& profile, const Target& target);

// "CAP_SYS_ADMIN" -> 21, through chapter 09's table (caps::find), but only
// in Docker's spelling: nullopt for "sys_admin" or an unknown name.
std::optional<int> capability_number(std::string_view name);

// The capabilities of a mask in chapter 09's form (caps::Mask, bit N for
// capability N): seccomp::capabilities_of(spec.caps.keep).
Capabilities capabilities_of(std::uint64_t mask);

// Docker's name for the architecture this program was built for ("amd64").
std::string_view native_arch_name();

// The running kernel's version, from uname(2)'s release ("6.18.44-x" -> 6.18).
KernelVersion running_kernel();

}  // namespace seccomp
