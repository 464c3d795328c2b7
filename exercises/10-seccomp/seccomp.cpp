#include "seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "error.hpp"
#include "explain.hpp"
#include "fd.hpp"
#include "host.hpp"
#include "spec.hpp"

namespace seccomp {

using error::check_negative_errno;

Filter::Filter(Filter&& other) noexcept
    : program(std::move(other.program)),
      flags(other.flags),
      cached(std::move(other.cached)),
      summary(std::move(other.summary)),
      shell(std::move(other.shell)),
      unknown_names(std::move(other.unknown_names)),
      shadowed(std::move(other.shadowed)),
      rules_added(other.rules_added),
      context_(std::exchange(other.context_, nullptr)) {
    other.program.clear();
}

Filter& Filter::operator=(Filter&& other) noexcept {
    if (this != &other) {
        if (context_ != nullptr) seccomp_release(context_);
        summary = std::move(other.summary);
        unknown_names = std::move(other.unknown_names);
        shadowed = std::move(other.shadowed);
        shell = std::move(other.shell);
        rules_added = other.rules_added;
        program = std::move(other.program);
        other.program.clear();
        flags = other.flags;
        cached = std::move(other.cached);
        context_ = std::exchange(other.context_, nullptr);
    }
    return *this;
}

Filter::~Filter() {
    release_context();
}

void Filter::release_context() {
    if (context_ != nullptr) seccomp_release(std::exchange(context_, nullptr));
}

namespace {

uint32_t scmp_action(const Action& action) {
    switch (action.kind) {
        case ActionKind::kill_thread:
            return SCMP_ACT_KILL_THREAD;
        case ActionKind::kill_process:
            return SCMP_ACT_KILL_PROCESS;
        case ActionKind::trap:
            return SCMP_ACT_TRAP;
        case ActionKind::errno_:
            return SCMP_ACT_ERRNO(action.data);
        case ActionKind::trace:
            return SCMP_ACT_TRACE(action.data);
        case ActionKind::log:
            return SCMP_ACT_LOG;
        case ActionKind::allow:
            return SCMP_ACT_ALLOW;
    }
    return SCMP_ACT_KILL_PROCESS;  // not reached: every kind is above
}

scmp_compare scmp_op(Op op) {
    switch (op) {
        case Op::ne:
            return SCMP_CMP_NE;
        case Op::lt:
            return SCMP_CMP_LT;
        case Op::le:
            return SCMP_CMP_LE;
        case Op::eq:
            return SCMP_CMP_EQ;
        case Op::ge:
            return SCMP_CMP_GE;
        case Op::gt:
            return SCMP_CMP_GT;
        case Op::masked_eq:
            return SCMP_CMP_MASKED_EQ;
    }
    return _SCMP_CMP_MAX;  // not reached
}

constexpr std::string_view kOpSymbols[] = {"!=", "<", "<=", "==", ">=", ">", "&"};

// "a0 < 38", "a0 & 0x7e020000 == 0": how --explain shows an argument test.
std::string describe_test(const ArgCheck& arg) {
    if (arg.op == Op::masked_eq)
        return fmt::format("a{} & {:#x} == {:#x}", arg.index, arg.value, arg.value_two);
    return fmt::format("a{} {} {}", arg.index, kOpSymbols[static_cast<int>(arg.op)], arg.value);
}

bool version_at_least(unsigned major, unsigned minor) {
    const scmp_version* v = seccomp_version();
    return v->major > major || (v->major == major && v->minor >= minor);
}

// libseccomp's attributes (seccomp_attr_set(3)).
void set_attribute(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value,
                   const std::string& name) {
    check_negative_errno(seccomp_attr_set(ctx, attr, value),
                         fmt::format("seccomp_attr_set({}, {})", name, value));
}

void set_attributes(scmp_filter_ctx ctx, const std::vector<std::string>& flags) {
    // Real errnos from the kernel in seccomp_load(), not -ECANCELED (2.5.0).
    if (version_at_least(2, 5))
        set_attribute(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "SCMP_FLTATR_API_SYSRAWRC");
    // libseccomp would set no_new_privs itself, silently, inside
    // seccomp_load(). Chapter 09 sets it, as a step of its own; a process
    // with neither it nor CAP_SYS_ADMIN then gets EACCES (seccomp(2)).
    explain::step({"seccomp_attr_set(SCMP_FLTATR_CTL_NNP, 0)", "", "seccomp_attr_set(3)"});
    set_attribute(ctx, SCMP_FLTATR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP");
    // A binary tree of syscall numbers: O(log n) tests per call instead of
    // one test per rule in a row (libseccomp 2.5.0).
    if (version_at_least(2, 5)) {
        explain::step({"seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2)", "", "seccomp_attr_set(3)"});
        set_attribute(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2, "SCMP_FLTATR_CTL_OPTIMIZE");
    }
    // Each of these attributes makes seccomp_load(3) pass one flag to
    // seccomp(2); load() passes the same flags itself (flags_of, below).
    static const std::map<std::string, std::pair<scmp_filter_attr, const char*>> kFlagAttributes{
        {"SECCOMP_FILTER_FLAG_LOG", {SCMP_FLTATR_CTL_LOG, "SCMP_FLTATR_CTL_LOG"}},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", {SCMP_FLTATR_CTL_SSB, "SCMP_FLTATR_CTL_SSB"}},
        {"SECCOMP_FILTER_FLAG_TSYNC", {SCMP_FLTATR_CTL_TSYNC, "SCMP_FLTATR_CTL_TSYNC"}},
    };
    for (const std::string& flag : flags) {
        auto [attr, name] = kFlagAttributes.at(flag);  // parse() let only these through
        explain::step({fmt::format("seccomp_attr_set({}, 1)", name), "", "seccomp_attr_set(3)"});
        set_attribute(ctx, attr, 1, name);
    }
}

// The flags of seccomp(SECCOMP_SET_MODE_FILTER) that stand for the
// attributes set_attributes() gives a context: what seccomp_load(3) would
// pass. SCMP_FLTATR_CTL_NNP is 0 (no prctl of libseccomp's: chapter 09 sets
// no_new_privs), SYSRAWRC only changes what libseccomp returns, OPTIMIZE
// only the program's shape; the profile's flags each become one flag
// (seccomp(2)): LOG logs every action but ALLOW, SPEC_ALLOW leaves the
// speculative store bypass mitigation off, TSYNC puts the filter on every
// thread (the child has one).
unsigned flags_of(const std::vector<std::string>& flags) {
    static const std::map<std::string, unsigned> kFlags{
        {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    };
    unsigned bits = 0;
    for (const std::string& flag : flags)
        bits |= kFlags.at(flag);  // parse() let only these through
    return bits;
}

// "SECCOMP_FILTER_FLAG_LOG|SECCOMP_FILTER_FLAG_TSYNC", or "0": for --explain.
std::string flags_text(unsigned flags) {
    std::vector<std::string> names;
    if ((flags & SECCOMP_FILTER_FLAG_TSYNC) != 0) names.emplace_back("SECCOMP_FILTER_FLAG_TSYNC");
    if ((flags & SECCOMP_FILTER_FLAG_LOG) != 0) names.emplace_back("SECCOMP_FILTER_FLAG_LOG");
    if ((flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW) != 0)
        names.emplace_back("SECCOMP_FILTER_FLAG_SPEC_ALLOW");
    return names.empty() ? "0" : fmt::format("{}", fmt::join(names, "|"));
}

// "SCMP_ARCH_X86_64" -> libseccomp's token; 0 if it does not know the name.
uint32_t arch_token(const std::string& name) {
    constexpr std::string_view kPrefix = "SCMP_ARCH_";
    if (!name.starts_with(kPrefix)) return 0;
    std::string lower = name.substr(kPrefix.size());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return seccomp_arch_resolve_name(lower.c_str());
}

// seccomp_arch_add(3): the filter also decides the calls of programs built
// for `arch` ("SCMP_ARCH_X86": 32-bit programs on x86-64). A filter covers
// only its architectures; a call from another one gets the "bad arch"
// action, which kills the process (SCMP_FLTATR_ACT_BADARCH).
void add_architecture(const Filter& filter, const Resolved& resolved, const std::string& arch) {
    uint32_t token = arch_token(arch);
    if (token == 0)
        throw error::UsageError(fmt::format(
            "{}: architecture \"{}\" is unknown to libseccomp {}.{}.{}", resolved.origin, arch,
            seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro));
    // The native architecture is in every new filter already.
    if (token == seccomp_arch_native()) return;
    explain::step({fmt::format("seccomp_arch_add({})", arch), "", "seccomp_arch_add(3)"});
    int rc = seccomp_arch_add(filter.context(), token);
    if (rc != -EEXIST) check_negative_errno(rc, fmt::format("seccomp_arch_add({})", arch));
}

// The argument tests of one rule, in groups: every test of a group must
// hold, any one group may match. runc (and so Docker) reads several tests
// of the *same* argument as alternatives: each is a group of its own. Tests
// of different arguments stay in one group: all must hold.
std::vector<std::vector<ArgCheck>> alternatives(const Rule& rule) {
    std::array<int, kMaxArgs> uses{};
    bool repeated = false;
    for (const ArgCheck& arg : rule.args) repeated = repeated || ++uses[arg.index] > 1;
    if (!repeated) return {rule.args};
    std::vector<std::vector<ArgCheck>> groups;
    for (const ArgCheck& arg : rule.args) groups.push_back({arg});
    return groups;
}

struct Counts {
    std::map<std::string, size_t> by_action;  // rules added, per action
    size_t same_as_default = 0;               // rules left out: they repeat the default
};

// seccomp_rule_add_array(3): `rule`'s action for the call `number` when
// every test of `tests` holds (no tests: whatever its arguments). A rule
// whose action is the default one is left out: libseccomp refuses it, and
// it changes nothing (runc skips it too).
void add_rule(Filter& filter, Counts& counts, const Resolved& resolved, const Rule& rule,
              const std::string& name, int number, const std::vector<scmp_arg_cmp>& tests) {
    if (rule.action == resolved.default_action) return;
    int rc = seccomp_rule_add_array(filter.context(), scmp_action(rule.action), number,
                                    static_cast<unsigned>(tests.size()), tests.data());
    if (rc == 0) {
        ++counts.by_action[describe(rule.action)];
        ++filter.rules_added;
        return;
    }
    std::string shown;
    for (const ArgCheck& arg : rule.args) shown += ", " + describe_test(arg);
    std::string what =
        fmt::format("seccomp_rule_add({}, {}{})", describe(rule.action), name, shown);
    // What a profile can get wrong; anything else is libseccomp's trouble (125).
    if (rc == -EEXIST || rc == -EINVAL || rc == -EACCES || rc == -EDOM)
        throw error::UsageError(fmt::format("{}: {}: libseccomp refuses {}: {}", resolved.origin,
                                            rule.where, what, std::strerror(-rc)));
    check_negative_errno(rc, what);
}

// The number of the call `name` for libseccomp (seccomp_syscall_resolve_name(3)),
// or nothing for a name it does not know on any architecture: noted in the
// filter, and skipped, as Docker does (a newer kernel's call then gets the
// default action). A call the native architecture lacks (chown32 on
// x86-64) has a negative number of libseccomp's, which it maps to each
// architecture of the filter where the call exists.
std::optional<int> syscall_number(Filter& filter, const std::string& name) {
    int number = seccomp_syscall_resolve_name(name.c_str());
    if (number != __NR_SCMP_ERROR) return number;
    if (std::find(filter.unknown_names.begin(), filter.unknown_names.end(), name) ==
        filter.unknown_names.end())
        filter.unknown_names.push_back(name);
    return std::nullopt;
}

// seccomp_init(3): a new filter, whose answer to a call no rule matches is
// `action`. Narrated.
Filter new_filter(const Action& action) {
    std::string init = fmt::format("seccomp_init({})", describe(action));
    explain::step({init, "", "seccomp_init(3)"});
    scmp_filter_ctx ctx = seccomp_init(scmp_action(action));
    // seccomp_init(3) returns NULL for an action it refuses, and sets no errno.
    if (ctx == nullptr) throw error::syscall_error(EINVAL, init);
    return Filter{ctx};
}

// The rules that never apply. libseccomp lets the first rule without
// argument tests decide a call for every argument value; every other rule
// for that call with another action is accepted and silently has no effect,
// under Docker too. Listed, so that --explain can say so.
std::vector<std::string> shadowed_rules(const Resolved& resolved) {
    std::map<std::string, const Rule*> deciding;  // call -> its first rule without tests
    for (const Rule& rule : resolved.rules)
        if (rule.args.empty() && rule.action != resolved.default_action)
            for (const std::string& name : rule.names) deciding.emplace(name, &rule);
    std::vector<std::string> shadowed;
    for (const Rule& rule : resolved.rules) {
        if (rule.action == resolved.default_action) continue;
        for (const std::string& name : rule.names) {
            auto found = deciding.find(name);
            if (found == deciding.end() || found->second == &rule ||
                found->second->action == rule.action)
                continue;
            shadowed.push_back(fmt::format("{} ({} {}) never applies: {} decides {} first ({})",
                                           rule.where, describe(rule.action), name,
                                           found->second->where, name,
                                           describe(found->second->action)));
        }
    }
    return shadowed;
}

void explain_rules(const Filter& filter, const Counts& counts) {
    std::string per_action;
    for (const auto& [action, n] : counts.by_action)
        per_action += fmt::format("{}{} {}", per_action.empty() ? "" : ", ", n, action);
    explain::step({fmt::format("seccomp_rule_add() x {}: {}", filter.rules_added, per_action), "",
                   "seccomp_rule_add(3)"});
    if (counts.same_as_default > 0)
        explain::note(
            fmt::format("seccomp: {} rules repeat the default action: left out (they "
                        "document; libseccomp refuses them, runc skips them too)",
                        counts.same_as_default));
    if (!filter.unknown_names.empty())
        explain::note(
            fmt::format("seccomp: unknown to libseccomp {}.{}.{}, skipped (their calls get "
                        "the default action): {}",
                        seccomp_version()->major, seccomp_version()->minor,
                        seccomp_version()->micro, fmt::join(filter.unknown_names, ", ")));
    for (const std::string& line : filter.shadowed) explain::note("seccomp: " + line);
}

// "defaultErrno, errno (in 14 places)": the keys of a profile that nothing
// reads, each named once.
std::string ignored_keys(const std::vector<std::string>& paths) {
    std::vector<std::pair<std::string, size_t>> keys;  // in the order first seen
    for (const std::string& path : paths) {
        size_t dot = path.rfind('.');
        std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
        auto found =
            std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; });
        if (found == keys.end())
            keys.emplace_back(key, 1);
        else
            ++found->second;
    }
    std::string text;
    for (const auto& [key, count] : keys)
        text += fmt::format("{}{}{}", text.empty() ? "" : ", ", key,
                            count > 1 ? fmt::format(" (in {} places)", count) : "");
    return text;
}

}  // namespace

namespace {

// The filter of a resolved profile, as the kernel will run it.
Filter compose(const Resolved& resolved, Counts& counts) {
    // EXERCISE 10-seccomp: build the kernel's filter from a resolved profile: the answer
    //   to the calls no rule names, the architectures it covers, and each rule of the
    //   profile with its argument tests.
    // TOOLS: new_filter(action): seccomp_init(3), narrated; returns the Filter.
    // TOOLS: set_attributes(filter.context(), resolved.flags): the filter's attributes
    //   (no_new_privs left to chapter 09, the binary tree, the profile's flags).
    // TOOLS: add_architecture(filter, resolved, "SCMP_ARCH_X86"): seccomp_arch_add(3).
    // TOOLS: syscall_number(filter, name): the call's number (std::optional), empty if
    //   libseccomp does not know the name (then skip it, as Docker does).
    // TOOLS: alternatives(rule): the rule's argument tests in groups; each group is one
    //   libseccomp rule, whose tests must all hold.
    // TOOLS: add_rule(filter, counts, resolved, rule, name, number, tests):
    //   seccomp_rule_add_array(3), with `tests` a std::vector<scmp_arg_cmp>
    //   {argument index, scmp_op(op), datum_a, datum_b}.
    // QUESTION: Docker's profile is an allowlist. What does the kernel answer to a call the
    //   profile does not name, and where in the filter is that decided?
    // QUESTION: A 32-bit program on x86-64 makes its calls with other numbers (int 0x80).
    //   What happens to them if the filter covers only x86-64?
    // QUESTION: For SCMP_CMP_MASKED_EQ the profile's `value` is the mask and `valueTwo`
    //   what the masked argument must equal. Which is datum_a (seccomp_rule_add(3))?
    // YOUR CODE HERE; then check it, as root: exercises/check 10-seccomp
    throw error::NotImplemented("build the kernel's filter from a resolved profile: the answer to the calls no rule names, the architectures it covers, and each rule of the profile with its argument tests.");
    // END EXERCISE
}

}  // namespace

// seccomp_export_bpf(3) writes the program seccomp_load(3) would hand the
// kernel (libseccomp 2.5 has no way to get it in memory: 2.6's
// seccomp_export_bpf_mem), so it goes through a memfd and is read back.
void compile(Filter& filter) {
    explain::step({"seccomp_export_bpf(memfd)", "", "seccomp_export_bpf(3)"});
    fd::Fd memfd{error::check_syscall(::memfd_create("seccomp-bpf", MFD_CLOEXEC),
                                      "memfd_create(\"seccomp-bpf\")")};
    check_negative_errno(seccomp_export_bpf(filter.context(), memfd.get()), "seccomp_export_bpf()");
    struct stat st {};
    error::check_syscall(::fstat(memfd.get(), &st), "fstat(memfd)");
    auto size = static_cast<size_t>(st.st_size);
    if (size % sizeof(sock_filter) != 0)
        throw std::runtime_error(
            fmt::format("seccomp_export_bpf(): {} bytes, not a whole "
                        "number of instructions",
                        size));
    filter.program.assign(size / sizeof(sock_filter), sock_filter{});
    auto* bytes = reinterpret_cast<char*>(filter.program.data());
    for (size_t done = 0; done < size;) {
        ssize_t n = ::pread(memfd.get(), bytes + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        error::check_syscall(n, "read(memfd)");
        if (n == 0) throw std::runtime_error("read(memfd): the program is shorter than its file");
        done += static_cast<size_t>(n);
    }
}

Filter build(const Resolved& resolved) {
    Counts counts;
    for (const Rule& rule : resolved.rules)
        if (rule.action == resolved.default_action) ++counts.same_as_default;
    Filter filter = compose(resolved, counts);
    filter.shadowed = shadowed_rules(resolved);
    filter.summary = fmt::format("{}: {} rules, default {}", resolved.origin, filter.rules_added,
                                 describe(resolved.default_action));
    if (explain::enabled()) explain_rules(filter, counts);
    compile(filter);
    filter.flags = flags_of(resolved.flags);
    explain::note(fmt::format("seccomp: the filter is a BPF program of {} instructions",
                              filter.program.size()));
    return filter;
}

namespace {

// <state_dir>/seccomp, and the name of this profile's program in it.
struct CacheEntry {
    fd::Fd dir;  // not open: no cache this run
    std::string name;
    std::filesystem::path path;  // for messages
};

// Never throws: a state directory that cannot be made, or is not ours
// alone (host::open_private_subdir refuses it), means building as usual.
CacheEntry cache_entry(const Settings& settings, const Target& target) {
    CacheEntry entry;
    if (settings.state_dir.empty()) return entry;
    cache::Inputs inputs = cache::inputs_here(settings.text, target);
    if (inputs.build.empty()) {
        explain::note("seccomp: this binary has no build ID: no cache, the filter is built");
        return entry;
    }
    entry.name = cache::file_name(cache::key_of(inputs));
    entry.path = settings.state_dir / "seccomp" / entry.name;
    try {
        entry.dir = host::open_private_subdir(settings.state_dir, "seccomp");
    } catch (const std::exception& e) {
        explain::note(fmt::format("seccomp: no cache ({}): the filter is built", e.what()));
    }
    return entry;
}

std::string origin_of(const Settings& settings) {
    return settings.choice == "default" ? std::string(kDefaultOrigin) : settings.profile.origin;
}

// The flags a cached program is loaded with (flags_of the profile's). A
// FILE's profile is parsed already; the default profile is parsed only if
// its text could name a flag at all: a flag is a JSON string, written out
// ("SECCOMP_FILTER_FLAG_LOG") or with backslash-u escapes.
// profiles/default.json has neither, so a cache hit parses nothing.
unsigned cached_flags(const Settings& settings) {
    bool may_name_a_flag = settings.text.find("FILTER_FLAG_") != std::string::npos ||
                           settings.text.find("\\u") != std::string::npos;
    if (settings.choice == "default" && !may_name_a_flag) return 0;
    return flags_of(profile_of(settings).flags);
}

// The filter from the cache, if it holds this profile's program.
std::optional<Filter> from_cache(const Settings& settings, const CacheEntry& entry) {
    if (!entry.dir) return std::nullopt;
    cache::Found found = cache::read(entry.dir.get(), entry.name);
    if (!found.refused.empty())
        explain::note(fmt::format("seccomp: cache file {} refused ({}): the filter is built",
                                  entry.path.string(), found.refused));
    if (found.program.empty()) return std::nullopt;
    Filter filter;
    filter.program = std::move(found.program);
    filter.flags = cached_flags(settings);
    filter.cached = entry.path.string();
    filter.summary =
        fmt::format("{}: cached, {} instructions", origin_of(settings), filter.program.size());
    explain::note(fmt::format(
        "seccomp: the program is in the cache, {} ({} instructions; its name is the SHA-256 of "
        "the profile's text, the capabilities, the machine, libseccomp's version and this "
        "build): nothing to resolve or build",
        filter.cached, filter.program.size()));
    return filter;
}

void store(const CacheEntry& entry, const Filter& filter) {
    if (!entry.dir) return;
    explain::step({fmt::format("write(\"{}\")", entry.path.string()), "",
                   "rename(2): written whole, then renamed"});
    try {
        cache::write(entry.dir.get(), entry.name, filter.program);
    } catch (const std::exception& e) {
        explain::note(fmt::format("seccomp: not cached: {}", e.what()));
    }
}

}  // namespace

Filter prepare(const Settings& settings, const Capabilities& capabilities) {
    if (!settings.confined) {
        explain::note("seccomp: unconfined: no filter; every system call reaches the kernel");
        return {};
    }
    Target target = this_machine(capabilities);
    explain::note(fmt::format("seccomp: profile {}, for {} with {} capabilities, kernel {}.{}",
                              origin_of(settings), target.arch, target.capabilities.size(),
                              target.kernel.major, target.kernel.minor));
    // Only under --explain: for the default profile this is its parse.
    if (explain::enabled() && !profile_of(settings).ignored.empty())
        explain::note(fmt::format("seccomp: not used (Docker ignores them too): {}",
                                  ignored_keys(profile_of(settings).ignored)));
    CacheEntry entry = cache_entry(settings, target);
    std::optional<Filter> cached = from_cache(settings, entry);
    Filter filter;
    if (cached) {
        filter = std::move(*cached);
    } else {
        Resolved resolved = resolve(profile_of(settings), target);
        for (const std::string& note : resolved.notes) explain::note("seccomp: " + note);
        filter = build(resolved);
        filter.release_context();  // the program is all load() needs; 600 KB of rules go
        store(entry, filter);
    }
    // Docker reads the same format; runc then loads the filter as load() does.
    filter.shell =
        fmt::format("docker run --security-opt seccomp={} ...",
                    settings.choice == "default" ? "profiles/default.json" : settings.choice);
    return filter;
}

// What seccomp_load(3) ends with, without the rest: the program was written
// by libseccomp in the runtime (prepare, or a run before), so the child does
// no more than this one call. No no_new_privs here (SCMP_FLTATR_CTL_NNP 0):
// chapter 09 sets it, or, with --allow-new-privileges, the child still has
// CAP_SYS_ADMIN (seccomp(2): one of the two, or EACCES).
void load(const Filter& filter) {
    if (filter.empty()) return;  // unconfined: prepare() said so
    if (filter.program.size() > BPF_MAXINSNS)
        throw std::runtime_error(
            fmt::format("seccomp: a program of {} instructions; the kernel "
                        "takes at most {}",
                        filter.program.size(), BPF_MAXINSNS));
    std::string call = fmt::format("seccomp(SECCOMP_SET_MODE_FILTER, {}, {{len={}}})",
                                   flags_text(filter.flags), filter.program.size());
    explain::step({fmt::format("{}   [{}]", call, filter.summary), filter.shell, "seccomp(2)"});
    sock_fprog program{static_cast<unsigned short>(filter.program.size()),
                       const_cast<sock_filter*>(filter.program.data())};
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter.flags, &program);
    error::check_syscall(rc, call);
    // With TSYNC, a positive answer is a thread that could not take the filter.
    if (rc > 0)
        throw std::runtime_error(fmt::format("{}: thread {} could not be synchronised", call, rc));
}

namespace {

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option("--seccomp-profile", spec.seccomp.choice,
                   "The system calls the container may make. FILE: a profile in Docker's JSON\n"
                   "format; default: unshared's own (profiles/default.json: Docker's policy);\n"
                   "unconfined: no filter. (A file called \"default\": ./default.)")
        ->capture_default_str()
        ->type_name("FILE|default|unconfined");
}

void finish_options(spec::Spec& spec) {
    spec.seccomp = settings_for(spec.seccomp.choice);
    spec.seccomp.state_dir = spec.host.state_dir;  // the cache of compiled programs
}

}  // namespace

const Profile& profile_of(const Settings& settings) {
    return settings.choice == "default" ? default_profile() : settings.profile;
}

Settings settings_for(const std::string& choice) {
    Settings settings;
    settings.choice = choice;
    settings.confined = choice != "unconfined";
    if (!settings.confined) return settings;
    if (choice.empty()) throw error::UsageError("--seccomp-profile: the path is empty");
    try {
        settings.text =
            choice == "default" ? std::string(default_profile_json()) : read_text(choice);
        if (choice != "default") settings.profile = parse(settings.text, choice);
    } catch (const error::UsageError& e) {
        throw error::UsageError(std::string("--seccomp-profile ") + e.what());
    }
    return settings;
}

const cli::Group options{"seccomp", add_options, finish_options};

}  // namespace seccomp
