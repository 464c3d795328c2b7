// timens.cpp: the container's own monotonic and boot clocks (see timens.hpp).
#include "timens.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <string_view>

#include "error.hpp"
#include "explain.hpp"
#include "fd.hpp"
#include "spec.hpp"

namespace timens {

namespace {

using error::check_syscall;
using error::UsageError;

int64_t parse_seconds(std::string_view text, std::string_view whole) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw UsageError(fmt::format("--time-offset {}: {:?} is not a number of seconds", whole,
                                     std::string(text)));
    return value;
}

void parse(Settings& s) {
    std::string_view rest = s.given;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
        size_t equals = one.find('=');
        std::string_view clock = one.substr(0, equals);
        if (equals == std::string_view::npos || (clock != "monotonic" && clock != "boottime"))
            throw UsageError(fmt::format(
                "--time-offset {}: expected monotonic=SECONDS and/or boottime=SECONDS", s.given));
        (clock == "monotonic" ? s.monotonic : s.boottime) =
            parse_seconds(one.substr(equals + 1), s.given);
    }
}

void add_options(CLI::App& app, spec::Spec& spec) {
    app.add_option("--time-offset", spec.timens.given,
                   "Shift the container's monotonic and boot clocks, e.g. boottime=86400\n"
                   "(its uptime then starts a day ahead). Default: 0, the host's clocks.")
        ->type_name("monotonic=S,boottime=S");
}

void finish_options(spec::Spec& spec) {
    parse(spec.timens);
}

void write_offsets(const Settings& s) {
    std::string text = fmt::format("monotonic {} 0\nboottime {} 0\n", s.monotonic, s.boottime);
    explain::step({"write(\"/proc/self/timens_offsets\")",
                   fmt::format("printf 'monotonic {} 0\\nboottime {} 0\\n' > "
                               "/proc/self/timens_offsets",
                               s.monotonic, s.boottime),
                   "time_namespaces(7)"});
    fd::Fd file{check_syscall(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC),
                              "open(\"/proc/self/timens_offsets\")")};
    // One write(2): the kernel takes the offsets all at once or not at all.
    ssize_t n = ::write(file.get(), text.data(), text.size());
    check_syscall(n, "write(\"/proc/self/timens_offsets\")");
}

}  // namespace

void enter(const Settings& settings) {
    explain::step({"unshare(CLONE_NEWTIME)", "unshare --time", "time_namespaces(7)"});
    check_syscall(::unshare(CLONE_NEWTIME), "unshare(CLONE_NEWTIME)");
    write_offsets(settings);
    explain::step({"setns(open(\"/proc/self/ns/time_for_children\"), CLONE_NEWTIME)",
                   "nsenter --time=/proc/self/ns/time_for_children", "setns(2)"});
    fd::Fd ns{check_syscall(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC),
                            "open(\"/proc/self/ns/time_for_children\")")};
    check_syscall(::setns(ns.get(), CLONE_NEWTIME), "setns(time_for_children, CLONE_NEWTIME)");
}

const cli::Group options{"timens", add_options, finish_options};

}  // namespace timens
