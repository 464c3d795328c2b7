// cli.hpp: the command line every chapter shares, and the edge where
// exceptions become messages and exit statuses.
//
//   NN-name [options] [--rootfs DIR] [-e NAME=VALUE]... [-- CMD [ARGS...]]
//
// The options common to every chapter live here (--rootfs, --explain, -e);
// each mechanism adds its own through its option group (options.hpp), and a
// chapter lists the groups of the mechanisms it has.
//
// Exit statuses: the command's own (128+N if signal N killed it), 2 for bad
// input, 125 when the container could not be set up, 126/127 when the
// command could not be run (as in docker run and the shells).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "options.hpp"
#include "spec.hpp"

namespace cli {

struct Chapter {
    std::string name;           // "03-uts": the program's name in messages
    std::string summary;        // one line for --help
    std::vector<Group> groups;  // the option groups of its mechanisms, in order
};

inline constexpr int kExitUsage = 2;
inline constexpr int kExitSetupFailed = 125;

// A parsed command line, or the status to exit with now (--help, bad input).
struct ParseResult {
    spec::Spec spec;
    int exit = -1;  // -1: go on and run; else: exit with this status now
};

// Parses and validates argv. Prints help or a one-line error itself.
ParseResult parse(const Chapter& chapter, int argc, char** argv);

// The whole life of a chapter's main(): block the forwarded signals, parse,
// run `body`, and turn every exception into one line on stderr and the
// right exit status.
int run(const Chapter& chapter, int argc, char** argv,
        const std::function<int(const spec::Spec&)>& body);

// `NN-name ps [--state-dir DIR]`: the containers that run, one per line.
int run_ps(const Chapter& chapter, int argc, char** argv);

// `NN-name exec [--explain] [-e NAME=VALUE]... [--state-dir DIR] NAME [-- CMD...]`:
// finds the running container NAME (state.hpp), fills a Spec from its
// state with the command and terminal of this call, and runs `body` with it
// at the same process edge as run(). argc/argv start at "exec".
int run_exec(const Chapter& chapter, int argc, char** argv,
             const std::function<int(const spec::Spec&, const state::Running&)>& body);

}  // namespace cli
