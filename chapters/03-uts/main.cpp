// 03-uts: a hostname of its own.
//
// The storyline of this chapter, top to bottom:
//   1. clone(2) the child in new mount and UTS namespaces.
//   2. In the child: set the hostname and domain name (only the container's
//      copy changes), then build the root as in chapter 02.
//   3. Exec the command. `hostname` prints the container's name; the host
//      keeps its own, even if the container runs `hostname evil`.
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/mnt.hpp"
#include "common/ns.hpp"
#include "common/process.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{"03-uts",
                            "Run a command in its own mount and UTS namespaces: its own hostname.",
                            {mnt::options, volume::options, uts::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. NEW IN THIS CHAPTER: ns::uts, a hostname and domain name of the container's own.
        process::Container container = process::spawn({{ns::mount, ns::uts}}, [&]() -> int {
            // 2. NEW IN THIS CHAPTER: name the container (--hostname, or unshared-XXXX).
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            //    Chapter 02: private mounts, /proc /sys /dev /tmp, pivot_root.
            mnt::enter_root(spec.rootfs, spec.mounts);
            console::attach(spec.console);
            // 3. Become the command.
            process::exec(spec.command);
        });
        container.release();
        return container.wait();
    });
}
