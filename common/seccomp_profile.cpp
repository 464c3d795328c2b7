#include "seccomp_profile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "caps.hpp"
#include "error.hpp"
#include "fd.hpp"

namespace seccomp {

using json = nlohmann::json;

// Generated from profiles/default.json at build time (common/CMakeLists.txt).
extern const std::string_view kDefaultProfileJson;

namespace {

// --- the names a profile may use ----------------------------------------------

struct ActionName {
    std::string_view name;
    ActionKind kind;
};
// SCMP_ACT_KILL is libseccomp's older name for KILL_THREAD (seccomp_rule_add(3)).
constexpr ActionName kActions[] = {
    {"SCMP_ACT_KILL", ActionKind::kill_thread},
    {"SCMP_ACT_KILL_THREAD", ActionKind::kill_thread},
    {"SCMP_ACT_KILL_PROCESS", ActionKind::kill_process},
    {"SCMP_ACT_TRAP", ActionKind::trap},
    {"SCMP_ACT_ERRNO", ActionKind::errno_},
    {"SCMP_ACT_TRACE", ActionKind::trace},
    {"SCMP_ACT_LOG", ActionKind::log},
    {"SCMP_ACT_ALLOW", ActionKind::allow},
};

struct OpName {
    std::string_view name;
    Op op;
};
constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", Op::ne},
    {"SCMP_CMP_LT", Op::lt},
    {"SCMP_CMP_LE", Op::le},
    {"SCMP_CMP_EQ", Op::eq},
    {"SCMP_CMP_GE", Op::ge},
    {"SCMP_CMP_GT", Op::gt},
    {"SCMP_CMP_MASKED_EQ", Op::masked_eq},
};

// The filter flags a profile may ask for (seccomp(2)); seccomp.cpp maps them
// to libseccomp's attributes. NEW_LISTENER and its friends belong to
// SCMP_ACT_NOTIFY, which is refused below.
constexpr std::string_view kFlags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                       "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};

// The SCMP_ARCH_* that Docker's archMap uses for each of its machine names
// (moby/profiles: nativeToSeccomp).
struct ArchName {
    std::string_view docker;
    std::string_view scmp;
};
constexpr ArchName kArches[] = {
    {"amd64", "SCMP_ARCH_X86_64"},    {"x86", "SCMP_ARCH_X86"},
    {"arm64", "SCMP_ARCH_AARCH64"},   {"arm", "SCMP_ARCH_ARM"},
    {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"ppc64", "SCMP_ARCH_PPC64"},
    {"s390x", "SCMP_ARCH_S390X"},     {"s390", "SCMP_ARCH_S390"},
    {"riscv64", "SCMP_ARCH_RISCV64"}, {"loong64", "SCMP_ARCH_LOONGARCH64"},
};

template <typename Table>
std::string names_of(const Table& table) {
    std::string joined;
    for (const auto& row : table) joined += (joined.empty() ? "" : ", ") + std::string(row.name);
    return joined;
}

// --- walking the JSON, with the path of each value for messages ------------------

// One value of the document and where it is ("syscalls[3].args[0].op").
class Node {
  public:
    Node(const json& value, std::string path, const std::string& origin)
        : value_(value), path_(std::move(path)), origin_(origin) {}

    [[noreturn]] void fail(std::string_view what) const {
        if (path_.empty()) throw error::UsageError(fmt::format("{}: {}", origin_, what));
        throw error::UsageError(fmt::format("{}: {}: {}", origin_, path_, what));
    }

    const json& value() const { return value_; }
    const std::string& path() const { return path_; }

    std::string string() const {
        if (!value_.is_string()) fail("expected a string");
        return value_.get<std::string>();
    }

    uint64_t number(uint64_t max) const {
        // nlohmann reads every whole number >= 0 as unsigned.
        if (!value_.is_number_unsigned())
            fail(fmt::format("expected a whole number from 0 to {}", max));
        uint64_t n = value_.get<uint64_t>();
        if (n > max) fail(fmt::format("{} is too large (at most {})", n, max));
        return n;
    }

    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        if (value_.is_null()) return out;  // Go reads null as an empty list, and so do we
        if (!value_.is_array()) fail("expected a list of strings");
        for (size_t i = 0; i < value_.size(); ++i) out.push_back(at(i).string());
        return out;
    }

    // The members of an object, or of each element of a list.
    bool has(const char* key) const { return value_.contains(key) && !value_[key].is_null(); }
    Node operator[](const char* key) const {
        return {value_.at(key), path_.empty() ? key : path_ + "." + key, origin_};
    }
    Node at(size_t i) const { return {value_.at(i), fmt::format("{}[{}]", path_, i), origin_}; }
    size_t size() const { return value_.is_array() ? value_.size() : 0; }

    void expect_object() const {
        if (!value_.is_object()) fail("expected an object ({...})");
    }
    void expect_list() const {
        if (!value_.is_null() && !value_.is_array()) fail("expected a list ([...])");
    }

    // Collects the keys of this object that are not in `known`.
    void note_unknown(std::initializer_list<std::string_view> known,
                      std::vector<std::string>& ignored) const {
        for (const auto& [key, unused] : value_.items())
            if (std::find(known.begin(), known.end(), key) == known.end())
                ignored.push_back(path_.empty() ? key : path_ + "." + key);
    }

  private:
    const json& value_;
    std::string path_;
    const std::string& origin_;
};

// `action` (and `errnoRet` beside it) as an Action. ERRNO without errnoRet
// answers EPERM, as runc does; errnoRet with an action that has no use for
// it is a mistake in the profile (crun refuses it too).
Action read_action(const Node& action, const Node* errno_ret) {
    std::string name = action.string();
    if (name == "SCMP_ACT_NOTIFY")
        action.fail(
            "SCMP_ACT_NOTIFY hands the call to a supervisor process (seccomp_unotify(2)); "
            "unshared has none yet, a later chapter brings one. Use another action");
    auto found = std::find_if(std::begin(kActions), std::end(kActions),
                              [&](const ActionName& a) { return a.name == name; });
    if (found == std::end(kActions))
        action.fail(fmt::format("unknown action \"{}\" (known: {})", name, names_of(kActions)));
    Action result{found->kind, EPERM};
    bool takes_data = result.kind == ActionKind::errno_ || result.kind == ActionKind::trace;
    if (!takes_data) result.data = 0;
    if (errno_ret != nullptr) {
        if (!takes_data)
            errno_ret->fail(
                fmt::format("{} answers no errno; only SCMP_ACT_ERRNO and "
                            "SCMP_ACT_TRACE take one",
                            name));
        // The kernel keeps 16 bits (SECCOMP_RET_DATA) and an errno is at most 4095.
        result.data = static_cast<uint16_t>(
            errno_ret->number(result.kind == ActionKind::errno_ ? 4095 : 0xffff));
    }
    return result;
}

KernelVersion read_kernel_version(const Node& node) {
    std::string text = node.string();
    unsigned major = 0, minor = 0;
    char rest = 0;
    // Docker: "<kernel>.<major>", each 0-255, not both 0.
    if (std::sscanf(text.c_str(), "%3u.%3u%c", &major, &minor, &rest) != 2 || major > 255 ||
        minor > 255 || (major == 0 && minor == 0) ||
        text.find_first_not_of("0123456789.") != std::string::npos)
        node.fail(fmt::format("\"{}\" is not a kernel version like \"4.8\"", text));
    return {major, minor};
}

Condition read_condition(const Node& node, std::vector<std::string>& ignored) {
    Condition condition;
    if (node.value().is_null()) return condition;
    node.expect_object();
    node.note_unknown({"caps", "arches", "minKernel"}, ignored);
    if (node.has("caps")) condition.caps = node["caps"].strings();
    if (node.has("arches")) condition.arches = node["arches"].strings();
    // An empty string means "no minimum", as in Docker.
    if (node.has("minKernel") && node["minKernel"].value() != "")
        condition.min_kernel = read_kernel_version(node["minKernel"]);
    return condition;
}

ArgCheck read_arg(const Node& node, std::vector<std::string>& ignored) {
    node.expect_object();
    node.note_unknown({"index", "value", "valueTwo", "op"}, ignored);
    if (!node.has("index")) node.fail("no \"index\": which argument (0-5) to test");
    if (!node.has("op")) node.fail("no \"op\": how to test the argument");
    ArgCheck arg;
    Node index = node["index"];
    if (index.value().is_number_unsigned() && index.value().get<uint64_t>() >= kMaxArgs)
        index.fail(fmt::format("argument index {} is over 5: a system call has 6 arguments, 0-5",
                               index.value().get<uint64_t>()));
    arg.index = static_cast<unsigned>(index.number(kMaxArgs - 1));
    // Missing values are 0, as in Go.
    if (node.has("value")) arg.value = node["value"].number(UINT64_MAX);
    if (node.has("valueTwo")) arg.value_two = node["valueTwo"].number(UINT64_MAX);
    std::string op = node["op"].string();
    auto found = std::find_if(std::begin(kOps), std::end(kOps),
                              [&](const OpName& o) { return o.name == op; });
    if (found == std::end(kOps))
        node["op"].fail(fmt::format("unknown operator \"{}\" (known: {})", op, names_of(kOps)));
    arg.op = found->op;
    return arg;
}

Rule read_rule(const Node& node, std::vector<std::string>& ignored) {
    node.expect_object();
    node.note_unknown(
        {"names", "name", "action", "errnoRet", "args", "includes", "excludes", "comment"},
        ignored);
    Rule rule;
    rule.where = node.path();
    if (node.has("name") && node.has("names"))
        node.fail("both \"name\" and \"names\": use \"names\" (Docker refuses both too)");
    if (node.has("name")) rule.names = {node["name"].string()};
    if (node.has("names")) rule.names = node["names"].strings();
    if (rule.names.empty()) node.fail("no system call names (\"names\": [...])");
    if (!node.has("action")) node.fail("no \"action\"");
    Node errno_ret = node.has("errnoRet") ? node["errnoRet"] : node;
    rule.action = read_action(node["action"], node.has("errnoRet") ? &errno_ret : nullptr);
    if (node.has("args")) {
        Node args = node["args"];
        args.expect_list();
        for (size_t i = 0; i < args.size(); ++i) rule.args.push_back(read_arg(args.at(i), ignored));
    }
    if (node.has("includes")) rule.includes = read_condition(node["includes"], ignored);
    if (node.has("excludes")) rule.excludes = read_condition(node["excludes"], ignored);
    if (node.has("comment")) rule.comment = node["comment"].string();
    return rule;
}

void read_architectures(const Node& root, Profile& profile) {
    if (root.has("architectures")) profile.architectures = root["architectures"].strings();
    if (!root.has("archMap")) return;
    Node map = root["archMap"];
    map.expect_list();
    for (size_t i = 0; i < map.size(); ++i) {
        Node entry = map.at(i);
        entry.expect_object();
        entry.note_unknown({"architecture", "subArchitectures"}, profile.ignored);
        if (!entry.has("architecture")) entry.fail("no \"architecture\"");
        ArchMapEntry arch{entry["architecture"].string(), {}};
        if (entry.has("subArchitectures")) arch.sub_arches = entry["subArchitectures"].strings();
        profile.arch_map.push_back(std::move(arch));
    }
}

void read_flags(const Node& root, Profile& profile) {
    if (!root.has("flags")) return;
    Node flags = root["flags"];
    profile.flags = flags.strings();
    for (const std::string& flag : profile.flags)
        if (std::find(std::begin(kFlags), std::end(kFlags), flag) == std::end(kFlags))
            flags.fail(fmt::format("flag \"{}\" is not supported (supported: {}, {}, {})", flag,
                                   kFlags[0], kFlags[1], kFlags[2]));
}

// The line and column of byte `offset` (1-based, as editors count).
std::pair<size_t, size_t> line_and_column(std::string_view text, size_t offset) {
    offset = std::min(offset, text.size());
    size_t line = 1 + std::count(text.begin(), text.begin() + offset, '\n');
    size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    size_t column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
    return {line, column};
}

json parse_json(std::string_view text, const std::string& origin) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // e.byte: how far the parser read (1-based); the error is at its last byte.
        auto [line, column] = line_and_column(text, e.byte == 0 ? 0 : e.byte - 1);
        // nlohmann's message reads "[json.exception.parse_error.101] parse
        // error at line 3, column 7: syntax error while ..."; keep the reason.
        std::string reason = e.what();
        if (size_t colon = reason.find(": "); colon != std::string::npos)
            reason = reason.substr(colon + 2);
        throw error::UsageError(
            fmt::format("{}:{}:{}: not valid JSON: {}", origin, line, column, reason));
    }
}

}  // namespace

std::string describe(const Action& action) {
    switch (action.kind) {
        case ActionKind::kill_thread:
            return "SCMP_ACT_KILL_THREAD";
        case ActionKind::kill_process:
            return "SCMP_ACT_KILL_PROCESS";
        case ActionKind::trap:
            return "SCMP_ACT_TRAP";
        case ActionKind::trace:
            return fmt::format("SCMP_ACT_TRACE({})", action.data);
        case ActionKind::log:
            return "SCMP_ACT_LOG";
        case ActionKind::allow:
            return "SCMP_ACT_ALLOW";
        case ActionKind::errno_:
            break;
    }
    const char* name = strerrorname_np(action.data);
    return fmt::format("SCMP_ACT_ERRNO({})", name != nullptr ? name : std::to_string(action.data));
}

Profile parse(std::string_view text, const std::string& origin) {
    json document = parse_json(text, origin);
    Node root{document, "", origin};
    if (!document.is_object()) root.fail("a profile is a JSON object ({...})");
    Profile profile;
    profile.origin = origin;
    root.note_unknown({"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                       "flags", "comment"},
                      profile.ignored);
    // Docker reads a profile without a default action and without rules as
    // "no filter at all". That is what `unconfined` says; here it is refused.
    if (!root.has("defaultAction"))
        root.fail("no \"defaultAction\" (for no filter at all, use --seccomp-profile unconfined)");
    if (root.has("listenerPath"))
        root["listenerPath"].fail("a seccomp agent (SCMP_ACT_NOTIFY) is not supported yet");
    Node errno_ret = root.has("defaultErrnoRet") ? root["defaultErrnoRet"] : root;
    profile.default_action =
        read_action(root["defaultAction"], root.has("defaultErrnoRet") ? &errno_ret : nullptr);
    read_architectures(root, profile);
    read_flags(root, profile);
    if (root.has("syscalls")) {
        Node rules = root["syscalls"];
        rules.expect_list();
        for (size_t i = 0; i < rules.size(); ++i)
            profile.rules.push_back(read_rule(rules.at(i), profile.ignored));
    }
    return profile;
}

std::string read_text(const std::filesystem::path& file) {
    std::string name = file.string();
    // O_NONBLOCK: a FIFO must not make us wait for a writer (it is refused below).
    int raw = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (raw < 0)
        throw error::UsageError(
            fmt::format("{}: {}", name, errno == ENOENT ? "no such file" : std::strerror(errno)));
    fd::Fd fd{raw};
    struct stat st {};
    error::check_syscall(::fstat(fd.get(), &st), fmt::format("fstat(\"{}\")", name));
    // Not a FIFO or /dev/zero: a profile is a file, and a small one.
    constexpr off_t kMaxSize = 4 << 20;
    if (!S_ISREG(st.st_mode)) throw error::UsageError(name + ": not a regular file");
    if (st.st_size > kMaxSize)
        throw error::UsageError(
            fmt::format("{}: {} bytes; a profile is at most {}", name, st.st_size, kMaxSize));
    std::string text(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        error::check_syscall(n, fmt::format("read(\"{}\")", name));
        if (n == 0) break;  // the file shrank while we read it
        done += static_cast<size_t>(n);
    }
    text.resize(done);
    return text;
}

Profile read_file(const std::filesystem::path& file) {
    return parse(read_text(file), file.string());
}

std::string_view default_profile_json() {
    return kDefaultProfileJson;
}

const Profile& default_profile() {
    static const Profile profile = parse(kDefaultProfileJson, std::string(kDefaultOrigin));
    return profile;
}

std::optional<int> capability_number(std::string_view name) {
    // Docker compares the names as written: "CAP_SYS_ADMIN" is a capability,
    // "sys_admin" or "CAP_sys_admin" never matches one.
    bool docker_spelling =
        name.starts_with("CAP_") && std::none_of(name.begin(), name.end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) != 0;
        });
    return docker_spelling ? caps::find(name) : std::nullopt;
}

Capabilities capabilities_of(std::uint64_t mask) {
    Capabilities numbers;
    for (int n = 0; n < 64; ++n)
        if ((mask & (std::uint64_t{1} << n)) != 0) numbers.insert(n);
    return numbers;
}

std::string_view native_arch_name() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__i386__)
    return "x86";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64le";
#elif defined(__powerpc64__)
    return "ppc64";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__loongarch64)
    return "loong64";
#else
    return "unknown";
#endif
}

KernelVersion running_kernel() {
    utsname u{};
    error::check_syscall(::uname(&u), "uname()");
    KernelVersion version;
    // "6.18.44-fc-v1045": Docker reads "%d.%d" and ignores the rest.
    if (std::sscanf(u.release, "%u.%u", &version.major, &version.minor) != 2)
        throw std::runtime_error(
            fmt::format("uname(): cannot read the kernel version in \"{}\"", u.release));
    return version;
}

// The x32 ABI (x86-64 code with 32-bit pointers) is a kernel option
// (CONFIG_X86_X32_ABI), off in Debian's and this machine's kernels. Asked
// for an x32 getpid(2), a kernel without it answers ENOSYS.
bool kernel_runs_x32() {
#if defined(__x86_64__)
    constexpr long kX32SyscallBit = 0x40000000;
    return ::syscall(kX32SyscallBit | SYS_getpid) != -1 || errno != ENOSYS;
#else
    return false;
#endif
}

Target this_machine(Capabilities capabilities) {
    Target target{std::move(capabilities), std::string(native_arch_name()), running_kernel(), {}};
    if (target.arch == "amd64" && !kernel_runs_x32()) target.absent.push_back("SCMP_ARCH_X32");
    return target;
}

namespace {

std::string version_text(const KernelVersion& v) {
    return fmt::format("{}.{}", v.major, v.minor);
}

bool holds(const Target& target, const std::string& cap) {
    std::optional<int> number = capability_number(cap);
    return number && target.capabilities.count(*number) != 0;
}

bool listed(const std::vector<std::string>& list, const std::string& word) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

// Why a rule is left out for `target`, or "" if it is kept. The checks and
// their order are Docker's (moby/profiles seccomp_linux.go, setupSeccomp):
// excludes first (arch, then any capability held, then the kernel), then
// includes (arch, then every capability held, then the kernel).
std::string reason_to_skip(const Rule& rule, const Target& target) {
    const Condition& ex = rule.excludes;
    if (listed(ex.arches, target.arch)) return fmt::format("excluded on {}", target.arch);
    for (const std::string& cap : ex.caps)
        if (holds(target, cap)) return fmt::format("excluded: the container has {}", cap);
    if (ex.min_kernel && target.kernel >= *ex.min_kernel)
        return fmt::format("excluded from kernel {} on; this is {}", version_text(*ex.min_kernel),
                           version_text(target.kernel));
    const Condition& in = rule.includes;
    if (!in.arches.empty() && !listed(in.arches, target.arch))
        return fmt::format("only on {}; this is {}", fmt::join(in.arches, ", "), target.arch);
    for (const std::string& cap : in.caps)
        if (!holds(target, cap)) return fmt::format("needs {}, which the container lacks", cap);
    if (in.min_kernel && target.kernel < *in.min_kernel)
        return fmt::format("needs kernel {}; this is {}", version_text(*in.min_kernel),
                           version_text(target.kernel));
    return "";
}

std::string why_kept(const Rule& rule, const Target& target) {
    std::vector<std::string> because;
    if (!rule.includes.arches.empty()) because.push_back("on " + target.arch);
    for (const std::string& cap : rule.includes.caps) because.push_back("has " + cap);
    if (rule.includes.min_kernel)
        because.push_back(fmt::format("kernel {} >= {}", version_text(target.kernel),
                                      version_text(*rule.includes.min_kernel)));
    if (!rule.excludes.caps.empty())
        because.push_back(fmt::format("lacks {}", fmt::join(rule.excludes.caps, ", ")));
    if (!rule.excludes.arches.empty())
        because.push_back(fmt::format("not on {}", fmt::join(rule.excludes.arches, ", ")));
    if (rule.excludes.min_kernel)
        because.push_back(fmt::format("kernel {} < {}", version_text(target.kernel),
                                      version_text(*rule.excludes.min_kernel)));
    return fmt::format("{}", fmt::join(because, ", "));
}

// "ptrace, process_vm_readv" or "bpf, clone, clone3 and 23 more".
std::string short_names(const std::vector<std::string>& names) {
    constexpr size_t kShown = 3;
    if (names.size() <= kShown + 1) return fmt::format("{}", fmt::join(names, ", "));
    return fmt::format("{} and {} more", fmt::join(names.begin(), names.begin() + kShown, ", "),
                       names.size() - kShown);
}

bool is_conditional(const Rule& rule) {
    const Condition& in = rule.includes;
    const Condition& ex = rule.excludes;
    return !in.caps.empty() || !in.arches.empty() || in.min_kernel || !ex.caps.empty() ||
           !ex.arches.empty() || ex.min_kernel;
}

void resolve_architectures(const Profile& profile, const Target& target, Resolved& resolved) {
    if (!profile.architectures.empty() && !profile.arch_map.empty())
        throw error::UsageError(fmt::format(
            "{}: both \"architectures\" and \"archMap\": use one (Docker refuses both too)",
            profile.origin));
    resolved.architectures = profile.architectures;
    // The archMap entry of this machine's architecture, and its sub-architectures.
    auto native = std::find_if(std::begin(kArches), std::end(kArches),
                               [&](const ArchName& a) { return a.docker == target.arch; });
    if (native == std::end(kArches)) return;
    for (const ArchMapEntry& entry : profile.arch_map) {
        if (entry.arch != native->scmp) continue;
        resolved.architectures.push_back(entry.arch);
        for (const std::string& sub : entry.sub_arches) {
            if (listed(target.absent, sub)) {
                resolved.notes.push_back(fmt::format(
                    "skip {} of archMap: this kernel cannot run its programs at all", sub));
                continue;
            }
            resolved.architectures.push_back(sub);
        }
        break;
    }
}

}  // namespace

Resolved resolve(const Profile& profile, const Target& target) {
    Resolved resolved;
    resolved.origin = profile.origin;
    resolved.default_action = profile.default_action;
    resolved.flags = profile.flags;
    resolve_architectures(profile, target, resolved);
    for (const Rule& rule : profile.rules) {
        for (const auto* condition : {&rule.includes, &rule.excludes})
            for (const std::string& cap : condition->caps)
                if (!capability_number(cap))
                    resolved.notes.push_back(fmt::format(
                        "{}: \"{}\" is not a capability name (capabilities(7)): never held",
                        rule.where, cap));
        std::string skip = reason_to_skip(rule, target);
        std::string what =
            fmt::format("{} ({}: {})", rule.where, describe(rule.action), short_names(rule.names));
        if (!skip.empty()) {
            resolved.notes.push_back(fmt::format("skip {}: {}", what, skip));
            resolved.skipped.push_back(rule.where);
            continue;
        }
        if (is_conditional(rule))
            resolved.notes.push_back(fmt::format("keep {}: {}", what, why_kept(rule, target)));
        resolved.rules.push_back(rule);
    }
    return resolved;
}

}  // namespace seccomp
