#include "chroot.hpp"

#include <unistd.h>

#include <fmt/core.h>

#include "error.hpp"
#include "explain.hpp"

namespace change_root {

using error::check_syscall;

void enter(const std::filesystem::path& rootfs) {
    explain::step({fmt::format("chroot(\"{}\")", rootfs.string()),
                   "chroot " + explain::shell_quote(rootfs.string()), "chroot(2)"});
    // EXERCISE 01-chroot: make the rootfs the process's root directory and move into it.
    // QUESTION: why is a process whose working directory stays outside its new root a problem?
    // YOUR CODE HERE; then check it, as root: exercises/check 01-chroot
    throw error::NotImplemented("make the rootfs the process's root directory and move into it.");
    // END EXERCISE
}

}  // namespace change_root
