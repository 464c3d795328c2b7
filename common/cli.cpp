#include "cli.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <system_error>

#include "error.hpp"
#include "explain.hpp"
#include "uts.hpp"

#ifndef UNSHARED_DEFAULT_ROOTFS
#define UNSHARED_DEFAULT_ROOTFS "rootfs"
#endif

namespace cli {
namespace fs = std::filesystem;

namespace {

bool has(const Chapter& chapter, Feature feature) {
    return std::find(chapter.features.begin(), chapter.features.end(), feature) !=
           chapter.features.end();
}

void add_options(CLI::App& app, const Chapter& chapter, Options& o, std::string& rootfs) {
    app.add_option("--rootfs", rootfs,
                   "The directory that becomes the container's \"/\". It must hold /bin/sh.\n"
                   "It is never modified.")
        ->default_str(UNSHARED_DEFAULT_ROOTFS)
        ->type_name("DIR");
    app.add_flag("--explain", o.explain,
                 "Print every step before it runs, with the shell command that does the same\n"
                 "and the man page to read (on stderr).");
    if (has(chapter, Feature::hostname)) {
        app.add_option("--hostname", o.hostname,
                       "The container's hostname (default: a generated one, unshared-XXXX).")
            ->type_name("NAME");
        app.add_option("--domainname", o.domainname,
                       "The container's NIS domain name, as `domainname` prints it.")
            ->capture_default_str()
            ->type_name("NAME");
    }
    if (has(chapter, Feature::init)) {
        app.add_flag("--no-init", o.no_init,
                     "Run the command as PID 1 itself, without the small init that reaps\n"
                     "zombies and passes signals on: see what goes wrong.");
    }
    app.add_option("command", o.command,
                   fmt::format("The command to run in the container and its arguments, after "
                               "`--`\n(default: /bin/sh). Example: {} -- ps -ef",
                               chapter.name))
        ->type_name("");
}

void validate_rootfs(const fs::path& rootfs) {
    std::error_code ec;
    auto status = fs::status(rootfs, ec);
    if (!fs::exists(status))
        throw error::UsageError(fmt::format(
            "--rootfs {}: no such directory (build one with rootfs-scripts/busybox-rootfs.sh DIR)",
            rootfs.string()));
    if (!fs::is_directory(status))
        throw error::UsageError(fmt::format("--rootfs {}: not a directory", rootfs.string()));
    // symlink_status: /bin/sh is often a link (to busybox, or /bin/dash)
    // that only resolves correctly from inside the rootfs.
    if (!fs::exists(fs::symlink_status(rootfs / "bin/sh", ec)))
        throw error::UsageError(fmt::format(
            "--rootfs {}: there is no /bin/sh in it; is it a root filesystem?", rootfs.string()));
}

void validate(const Chapter& chapter, Options& o, const std::string& rootfs) {
    o.rootfs = fs::absolute(rootfs).lexically_normal();
    validate_rootfs(o.rootfs);
    if (o.command.empty()) o.command = {"/bin/sh"};
    if (has(chapter, Feature::hostname)) {
        if (o.hostname.empty()) o.hostname = uts::generated_hostname();
        if (auto why = uts::check_hostname(o.hostname); !why.empty())
            throw error::UsageError("--hostname: " + why);
        if (auto why = uts::check_hostname(o.domainname); !why.empty() && o.domainname != "(none)")
            throw error::UsageError("--domainname: " + why);
    }
}

}  // namespace

ParseResult parse(const Chapter& chapter, int argc, char** argv) {
    ParseResult result;
    std::string rootfs = UNSHARED_DEFAULT_ROOTFS;
    CLI::App app{chapter.summary, chapter.name};
    app.footer(
        "\nExit status: the command's own (128+N if signal N killed it); 2 for bad input;\n"
        "125 if the container could not be set up; 126/127 if the command could not run.");
    add_options(app, chapter, result.options, rootfs);
    try {
        app.parse(argc, argv);
        validate(chapter, result.options, rootfs);
    } catch (const CLI::CallForHelp&) {
        fmt::print("{}", app.help());
        result.exit = 0;
    } catch (const CLI::ParseError& e) {
        fmt::print(stderr, "{}: {} (see {} --help)\n", chapter.name, e.what(), chapter.name);
        result.exit = kExitUsage;
    } catch (const error::UsageError& e) {
        fmt::print(stderr, "{}: {}\n", chapter.name, e.what());
        result.exit = kExitUsage;
    }
    return result;
}

int run(const Chapter& chapter, int argc, char** argv,
        const std::function<int(const Options&)>& body) {
    ParseResult parsed = parse(chapter, argc, argv);
    if (parsed.exit >= 0) return parsed.exit;
    if (parsed.options.explain) explain::enable(chapter.name);
    try {
        return body(parsed.options);
    } catch (const error::ContainerFailed& e) {
        fmt::print(stderr, "{}: {}\n", chapter.name, e.what());
        return e.exit_status();
    } catch (const error::UsageError& e) {
        fmt::print(stderr, "{}: {}\n", chapter.name, e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", chapter.name, error::describe(e));
        return kExitSetupFailed;
    }
}

}  // namespace cli
