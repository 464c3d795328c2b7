// 05-pid: a process tree of its own, with a real PID 1.
//
// The storyline of this chapter, top to bottom:
//   1. clone(2) the child in new mount, UTS, IPC and PID namespaces: the
//      child is PID 1 of the new PID namespace.
//   2. In the child: hostname (03), the root (02; its /proc now shows only
//      the container's processes), /dev/mqueue (04).
//   3. The child becomes the container's init: it runs the command as PID 2,
//      passes signals on to it and reaps every zombie, and exits with the
//      command's status. With --no-init the command is PID 1 itself.
//   When PID 1 ends, the kernel kills every process left in the namespace:
//   nothing the container started outlives it.
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/ipc.hpp"
#include "common/mnt.hpp"
#include "common/ns.hpp"
#include "common/pid.hpp"
#include "common/process.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "05-pid",
    "Run a command in its own mount, UTS, IPC and PID namespaces, under a small init.",
    {mnt::options, volume::options, uts::options, ipc::options, pid::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. NEW IN THIS CHAPTER: ns::pid. The child is PID 1 of a new PID namespace.
        process::Spawn how{{ns::mount, ns::uts, ns::ipc, ns::pid}};
        process::Container container = process::spawn(how, [&]() -> int {
            // 2. Chapters 02-04: hostname, root (with a /proc of this PID namespace), mqueue.
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            mnt::enter_root(spec.rootfs, spec.mounts);
            console::attach(spec.console);
            // 3. NEW IN THIS CHAPTER: PID 1 is our init, and the command runs as PID 2.
            if (spec.pid.no_init) process::exec(spec.command);
            return pid::run_init(spec.command);
        });
        container.release();
        return container.wait();
    });
}
