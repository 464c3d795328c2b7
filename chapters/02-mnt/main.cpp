// 02-mnt: a mount table of its own, and a root the host cannot be reached from.
//
// The storyline of this chapter, top to bottom:
//   1. clone(2) the child in a new mount namespace (CLONE_NEWNS).
//   2. In the child, build the container's root (common/mnt.cpp):
//        make "/" recursively private, so no mount leaks to or from the host;
//        bind the rootfs onto itself, so it is a mount point;
//        a tmpfs /dev with only the devices a container needs;
//        pivot_root(2) into the rootfs and detach the host's tree;
//        /proc, /sys (read-only) and a tmpfs /tmp.
//   3. Exec the command.
//
// chroot(2) is gone: pivot_root replaces the root *mount*, and once the old
// root is detached there is no "outside" left to walk to. The chroot escape
// of chapter 01 now ends in the rootfs. See README.md.
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/mnt.hpp"
#include "common/ns.hpp"
#include "common/process.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "02-mnt",
    "Run a command in its own mount namespace, pivot_root'ed into the rootfs.",
    {mnt::options, volume::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. NEW IN THIS CHAPTER: the child gets its own copy of the mount table.
        process::Container container = process::spawn({{ns::mount}}, [&]() -> int {
            // 2. NEW IN THIS CHAPTER: private propagation, /proc /sys /dev /tmp, pivot_root.
            //    (This replaces chapter 01's change_root::enter.)
            mnt::enter_root(spec.rootfs, spec.mounts);
            console::attach(spec.console);
            // 3. Become the command.
            process::exec(spec.command);
        });
        container.release();
        return container.wait();
    });
}
