// 01-chroot: the oldest trick in the container book.
//
// The storyline of this chapter, top to bottom:
//   1. clone(2) a child. No namespaces yet: it shares everything with us.
//   2. In the child, chroot(2) into the rootfs: "/" now means the rootfs.
//   3. Exec the command. `ls /` lists the rootfs, not the host.
//
// What it does NOT do: hide the host's processes, mounts, hostname, IPC or
// network, and root inside can walk back out (the chroot escape, which
// chapter 02-mnt stops). See README.md.
#include "common/chroot.hpp"
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/process.hpp"

namespace {
const cli::Chapter kChapter{
    "01-chroot", "Run a command with the rootfs as its \"/\" (chroot: the oldest isolation).", {}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. A child process; the parent waits for it and passes its exit status on.
        process::Container container = process::spawn({}, [&]() -> int {
            //    Its own terminal (or none), never the caller's: console.hpp says why.
            console::attach(spec.console);
            // 2. NEW IN THIS CHAPTER: "/" becomes the rootfs, for this process and its children.
            change_root::enter(spec.rootfs);
            // 3. Become the command (/bin/sh by default), inside the new root.
            process::exec(spec.command);
        });
        container.release();
        return container.wait();
    });
}
