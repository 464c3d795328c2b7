// rlimits.cpp: the container's resource limits (see rlimits.hpp).
#include "rlimits.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <cstdint>

#include "error.hpp"
#include "explain.hpp"
#include "spec.hpp"

namespace rlimits {

namespace {

using error::check_syscall;
using error::UsageError;

struct Name {
    std::string_view name;
    int resource;
};
// prlimit(1)'s and Docker's names.
constexpr Name kNames[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::string shown(rlim_t value) {
    return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

rlim_t parse_value(std::string_view text, std::string_view whole) {
    if (text == "unlimited" || text == "-1") return RLIM_INFINITY;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        throw UsageError(fmt::format("--ulimit {}: {:?} is not a number (or unlimited)", whole,
                                     std::string(text)));
    return static_cast<rlim_t>(value);
}

// CAP_SYS_RESOURCE in our effective set: may raise a hard limit (capget(2)).
bool may_raise_hard_limits() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    return (data[CAP_SYS_RESOURCE / 32].effective & (1U << (CAP_SYS_RESOURCE % 32))) != 0;
}

// A hard limit above our own cannot be set without CAP_SYS_RESOURCE
// (setrlimit(2)): say so now, before anything is made.
void check_possible(const Limit& limit) {
    rlimit64 own{};
    check_syscall(::prlimit64(0, static_cast<__rlimit_resource>(limit.resource), nullptr, &own),
                  fmt::format("prlimit(RLIMIT_{})", upper(limit.name)));
    if (limit.hard <= own.rlim_max || may_raise_hard_limits()) return;
    throw UsageError(fmt::format(
        "--ulimit {}={}:{}: above this runtime's own hard limit ({}), which only a process with "
        "CAP_SYS_RESOURCE may raise (this one has none)",
        limit.name, shown(limit.soft), shown(limit.hard), shown(own.rlim_max)));
}

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option("--ulimit", spec.rlimits.given,
                   "Set a resource limit of the container's processes, NAME=SOFT[:HARD]\n"
                   "(nofile, nproc, core, ...; default nofile=1024:1024, as runc).")
        ->allow_extra_args(false)
        ->type_name("NAME=SOFT[:HARD]");
}

void finish_options(spec::Spec& spec) {
    Settings& s = spec.rlimits;
    s.limits = {{RLIMIT_NOFILE, "nofile", 1024, 1024}};
    for (const std::string& text : s.given) {
        Limit limit = parse(text);
        std::erase_if(s.limits, [&](const Limit& l) { return l.resource == limit.resource; });
        s.limits.push_back(limit);
    }
    for (const Limit& limit : s.limits) check_possible(limit);
}

}  // namespace

std::string format(const Limit& limit) {
    return fmt::format("{}={}:{}", limit.name, shown(limit.soft), shown(limit.hard));
}

Limit parse(std::string_view text) {
    size_t equals = text.find('=');
    if (equals == std::string_view::npos)
        throw UsageError(fmt::format("--ulimit {}: expected NAME=SOFT[:HARD]", text));
    std::string_view name = text.substr(0, equals), values = text.substr(equals + 1);
    const Name* found = nullptr;
    for (const Name& n : kNames)
        if (n.name == name) found = &n;
    if (found == nullptr) {
        std::string known;
        for (const Name& n : kNames) known += (known.empty() ? "" : ", ") + std::string(n.name);
        throw UsageError(fmt::format("--ulimit {}: no limit is called {:?} (known: {})", text,
                                     std::string(name), known));
    }
    size_t colon = values.find(':');
    rlim_t soft = parse_value(values.substr(0, colon), text);
    rlim_t hard =
        colon == std::string_view::npos ? soft : parse_value(values.substr(colon + 1), text);
    if (soft > hard)
        throw UsageError(fmt::format("--ulimit {}: the soft limit is above the hard one", text));
    return {found->resource, std::string(name), soft, hard};
}

void apply(pid_t pid, const Settings& settings) {
    for (const Limit& limit : settings.limits) {
        std::string call = fmt::format("prlimit({}, RLIMIT_{}, {}:{})", pid, upper(limit.name),
                                       shown(limit.soft), shown(limit.hard));
        explain::step({call,
                       fmt::format("prlimit --pid {} --{}={}:{}", pid, limit.name,
                                   shown(limit.soft), shown(limit.hard)),
                       "prlimit(2), getrlimit(2)"});
        rlimit64 value{limit.soft, limit.hard};
        check_syscall(
            ::prlimit64(pid, static_cast<__rlimit_resource>(limit.resource), &value, nullptr),
            call);
    }
}

const cli::Group options{"rlimit", add_options, finish_options};

}  // namespace rlimits
