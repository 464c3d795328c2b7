// options.hpp: an option group, the command-line share of one mechanism.
//
// Each mechanism owns its options and their checks (uts: --hostname, pid:
// --no-init, ...) and fills its slice of one spec::Spec. A chapter lists the
// groups of the mechanisms it has, so chapter N's command line is chapter
// N-1's plus its new group, and no mechanism's options are written twice.
#pragma once

namespace CLI {
class App;
}
namespace spec {
struct Spec;
}

namespace cli {

struct Group {
    const char* name;                              // "uts", for messages
    void (*add)(CLI::App& app, spec::Spec& spec);  // declares the options (may be null)
    void (*finish)(spec::Spec& spec);  // after parsing: checks, defaults; throws error::UsageError
};

}  // namespace cli
