#include "cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "error.hpp"
#include "explain.hpp"
#include "inroot.hpp"
#include "process.hpp"
#include "say.hpp"

#ifndef UNSHARED_DEFAULT_ROOTFS
#define UNSHARED_DEFAULT_ROOTFS "rootfs"
#endif

namespace cli {
namespace fs = std::filesystem;

namespace {

void add_common_options(CLI::App& app, const Chapter& chapter, spec::Spec& spec,
                        std::string& rootfs) {
    app.add_option("--rootfs", rootfs,
                   "The directory that becomes the container's \"/\". It must hold /bin/sh.\n"
                   "unshared writes nothing into it (the container itself may: see the lessons).")
        ->default_str(UNSHARED_DEFAULT_ROOTFS)
        ->type_name("DIR");
    app.add_flag("--explain", spec.explain,
                 "Print every step before it runs, with the shell command that does the same\n"
                 "and the man page to read (on stderr).");
    app.add_option("-e,--env", spec.env,
                   "Set a variable in the container's environment (repeatable). NAME alone\n"
                   "takes its value from ours. The container starts with a clean environment.")
        ->type_name("NAME=VALUE")
        ->allow_extra_args(false);  // one value per -e, as docker run's: -e A=1 env runs env
    app.add_option("command", spec.command.argv,
                   fmt::format("The command to run in the container and its arguments, after "
                               "`--`\n(default: /bin/sh). Example: {} -- ps -ef",
                               chapter.name))
        ->type_name("");
}

// An absolute, normal path for the user's --rootfs, or a UsageError.
fs::path absolute_rootfs(const std::string& rootfs) {
    if (rootfs.empty()) throw error::UsageError("--rootfs: the path is empty");
    std::error_code ec;
    fs::path absolute = fs::absolute(rootfs, ec);
    if (ec)
        throw error::UsageError(
            fmt::format("--rootfs {}: a relative path, but the working directory is gone ({})",
                        rootfs, ec.message()));
    return absolute.lexically_normal();
}

void validate_rootfs(const fs::path& rootfs) {
    int raw = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (raw < 0) {
        int err = errno;
        std::string why = err == ENOENT ? "no such directory (build one with "
                                          "rootfs-scripts/busybox-rootfs.sh DIR)"
                          : err == ENOTDIR
                              ? "not a directory"
                              : fmt::format("cannot be opened: {}", std::strerror(err));
        throw error::UsageError(fmt::format("--rootfs {}: {}", rootfs.string(), why));
    }
    // /bin/sh is often a link (to busybox, or /bin/dash) that only resolves
    // correctly from inside the rootfs: look it up as the container would.
    if (!inroot::exists(fd::Fd{raw}, "/bin/sh"))
        throw error::UsageError(fmt::format(
            "--rootfs {}: there is no /bin/sh in it; is it a root filesystem?", rootfs.string()));
}

void finish(const Chapter& chapter, spec::Spec& spec, const std::string& rootfs) {
    spec.program = chapter.name;
    if (spec.host.cleanup) return;  // no container to describe: run() only cleans up
    spec.rootfs = absolute_rootfs(rootfs);
    validate_rootfs(spec.rootfs);
    if (spec.command.argv.empty()) spec.command.argv = {"/bin/sh"};
    spec.console = console::detect();
    for (const Group& group : chapter.groups)
        if (group.finish != nullptr) group.finish(spec);
    if (std::string why = mnt::rootfs_problem(spec.rootfs, spec.mounts); !why.empty())
        throw error::UsageError(fmt::format("--rootfs {}: {}", spec.rootfs.string(), why));
    spec.command.env = process::clean_environment(spec.uts.hostname, spec.env);
}

}  // namespace

ParseResult parse(const Chapter& chapter, int argc, char** argv) {
    ParseResult result;
    std::string rootfs = UNSHARED_DEFAULT_ROOTFS;
    CLI::App app{chapter.summary, chapter.name};
    app.footer(
        "\nExit status: the command's own (128+N if signal N killed it); 2 for bad input;\n"
        "125 if the container could not be set up; 126/127 if the command could not run.");
    add_common_options(app, chapter, result.spec, rootfs);
    for (const Group& group : chapter.groups)
        if (group.add != nullptr) group.add(app, result.spec);
    try {
        app.parse(argc, argv);
        finish(chapter, result.spec, rootfs);
    } catch (const CLI::CallForHelp&) {
        say::write_best_effort(STDOUT_FILENO, app.help(), 1000);
        result.exit = 0;
    } catch (const CLI::ParseError& e) {
        say::error(chapter.name, fmt::format("{} (see {} --help)", e.what(), chapter.name));
        result.exit = kExitUsage;
    } catch (const error::UsageError& e) {
        say::error(chapter.name, e.what());
        result.exit = kExitUsage;
    }
    return result;
}

namespace {

// The process edge: every exception becomes one line and an exit status.
int guarded(const std::string& program, const std::function<int()>& body) {
    try {
        process::start_runtime();
        return body();
    } catch (const error::ContainerFailed& e) {
        say::error(program, e.what());
        return e.exit_status();
    } catch (const error::UsageError& e) {
        say::error(program, e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        say::error(program, error::describe(e));
        return kExitSetupFailed;
    }
}

// Parses a tool's command line (`ps`, `exec`); -1 to go on, else the status.
int parse_tool(CLI::App& app, const std::string& program, int argc, char** argv) {
    try {
        app.parse(argc, argv);
        return -1;
    } catch (const CLI::CallForHelp&) {
        say::write_best_effort(STDOUT_FILENO, app.help(), 1000);
        return 0;
    } catch (const CLI::ParseError& e) {
        say::error(program, fmt::format("{} (see {} --help)", e.what(), program));
        return kExitUsage;
    }
}

void add_state_dir(CLI::App& app, fs::path& state_dir) {
    app.add_option("--state-dir", state_dir,
                   "Where the runtime keeps its state (the --state-dir of the run)")
        ->capture_default_str()
        ->type_name("DIR");
}

}  // namespace

int run(const Chapter& chapter, int argc, char** argv,
        const std::function<int(const spec::Spec&)>& body) {
    return guarded(chapter.name, [&] {
        ParseResult parsed = parse(chapter, argc, argv);
        if (parsed.exit >= 0) return parsed.exit;
        if (parsed.spec.explain) explain::enable(chapter.name);
        if (parsed.spec.host.cleanup) return host::cleanup(parsed.spec.host);
        return body(parsed.spec);
    });
}

int run_ps(const Chapter& chapter, int argc, char** argv) {
    std::string program = chapter.name + " ps";
    return guarded(program, [&] {
        fs::path state_dir = host::default_state_dir();
        CLI::App app{"List the containers that run (their state directories).", program};
        add_state_dir(app, state_dir);
        if (int status = parse_tool(app, program, argc, argv); status >= 0) return status;
        return state::print_list(state_dir);
    });
}

int run_exec(const Chapter& chapter, int argc, char** argv,
             const std::function<int(const spec::Spec&, const state::Running&)>& body) {
    std::string program = chapter.name + " exec";
    return guarded(program, [&] {
        spec::Spec spec;
        std::string name;
        fs::path state_dir = host::default_state_dir();
        std::vector<std::string> env;
        CLI::App app{
            "Run a command in a running container: its namespaces, cgroup, capabilities,\n"
            "no_new_privs, seccomp filter, rlimits, Landlock rules and user.",
            program};
        app.add_flag("--explain", spec.explain, "Print every step before it runs (on stderr).");
        app.add_option("-e,--env", env, "Add a variable to the container's environment.")
            ->type_name("NAME=VALUE")
            ->allow_extra_args(false);  // one value per -e
        add_state_dir(app, state_dir);
        app.add_option("name", name, "The container's name (see ps)")
            ->required()
            ->type_name("NAME");
        app.add_option("command", spec.command.argv, "The command, after `--` (default: /bin/sh)")
            ->type_name("");
        if (int status = parse_tool(app, program, argc, argv); status >= 0) return status;
        if (spec.explain) explain::enable(program);
        state::Running target = state::open(state_dir, name);
        spec.program = program;
        spec.host.state_dir = state_dir;
        state::fill_spec(target.saved, spec);
        if (spec.command.argv.empty()) spec.command.argv = {"/bin/sh"};
        spec.command.env = process::with_entries(spec.command.env, env);
        spec.console = console::detect();
        return body(spec, target);
    });
}

}  // namespace cli
