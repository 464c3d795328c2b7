// cli.hpp: the command line every chapter shares, and the edge where
// exceptions become messages and exit statuses.
//
//   NN-name [options] [--rootfs DIR] [-- CMD [ARGS...]]
//
// Exit statuses: the command's own (128+N if signal N killed it), 2 for bad
// input, 125 when the container could not be set up, 126/127 when the
// command could not be run (as in docker run and the shells).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cli {

// The options a chapter adds to the common ones. Chapter N has all the
// options of chapter N-1, plus its own.
enum class Feature {
    hostname,  // 03-uts: --hostname, --domainname
    init,      // 05-pid: --no-init
};

struct Chapter {
    std::string name;     // "03-uts": the program's name in messages
    std::string summary;  // one line for --help
    std::vector<Feature> features;
};

struct Options {
    std::filesystem::path rootfs;  // absolute
    bool explain = false;
    std::vector<std::string> command;   // never empty: /bin/sh by default
    std::string hostname;               // 03+: never empty (generated if not given)
    std::string domainname = "(none)";  // 03+: the kernel's own default
    bool no_init = false;               // 05+
};

inline constexpr int kExitUsage = 2;
inline constexpr int kExitSetupFailed = 125;

// Exit status of a --help, or of a parse error, in ParseResult::exit.
struct ParseResult {
    Options options;
    int exit = -1;  // -1: go on and run; else: exit with this status now
};

// Parses and validates argv. Prints help or a one-line error itself.
ParseResult parse(const Chapter& chapter, int argc, char** argv);

// The whole life of a chapter's main(): parse, then run `body`, and turn
// every exception into one line on stderr and the right exit status.
int run(const Chapter& chapter, int argc, char** argv,
        const std::function<int(const Options&)>& body);

}  // namespace cli
