// 04-ipc: System V IPC and POSIX message queues of its own.
//
// The storyline of this chapter, top to bottom:
//   1. clone(2) the child in new mount, UTS and IPC namespaces.
//   2. In the child: hostname (03), the root (02), then the IPC namespace's
//      own POSIX message queue filesystem at /dev/mqueue.
//   3. Exec the command. `ipcs` lists no segment of the host's, and what the
//      container creates vanishes with it.
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/ipc.hpp"
#include "common/mnt.hpp"
#include "common/ns.hpp"
#include "common/process.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{"04-ipc",
                            "Run a command in its own mount, UTS and IPC namespaces.",
                            {mnt::options, volume::options, uts::options, ipc::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. NEW IN THIS CHAPTER: ns::ipc. Shared memory, semaphores and message queues
        //    made on the host are not found from inside, and the other way round.
        process::Spawn how{{ns::mount, ns::uts, ns::ipc}};
        process::Container container = process::spawn(how, [&]() -> int {
            // 2. Chapters 03 and 02: name the container, build its root.
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            //    NEW IN THIS CHAPTER: spec.mounts has a row for /dev/mqueue (ipc::options),
            //    the namespace's own POSIX message queues, visible as files.
            mnt::enter_root(spec.rootfs, spec.mounts);
            console::attach(spec.console);
            // 3. Become the command.
            process::exec(spec.command);
        });
        container.release();
        return container.wait();
    });
}
