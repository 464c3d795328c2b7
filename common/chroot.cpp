#include "chroot.hpp"

#include <unistd.h>

#include <fmt/core.h>

#include "error.hpp"
#include "explain.hpp"

namespace change_root {

using error::check_syscall;

void chdir(const std::filesystem::path& dir) {
    std::string call = fmt::format("chdir(\"{}\")", dir.string());
    explain::step({call, "cd " + explain::shell_quote(dir.string()), "chdir(2)"});
    check_syscall(::chdir(dir.c_str()), call);
}

void chroot(const std::filesystem::path& dir) {
    std::string call = fmt::format("chroot(\"{}\")", dir.string());
    explain::step({call, "chroot " + explain::shell_quote(dir.string()), "chroot(2)"});
    check_syscall(::chroot(dir.c_str()), call);
}

void enter(const std::filesystem::path& rootfs) {
    // EXERCISE 01-chroot: make the rootfs the process's "/", and start the command inside it.
    // TOOLS: chdir(dir) and chroot(dir) above: chdir(2) and chroot(2), narrated and checked.
    // QUESTION: A process has two directories the kernel starts path lookups from: which
    //   are they, and which of them does chroot(2) change?
    // QUESTION: Why is a process whose working directory stays outside its new root a
    //   problem? (The chroot escape of the lesson starts from there.)
    // HINT: Read chroot(2), DESCRIPTION and NOTES: what does it say about the current
    //   working directory?
    // HINT: enter() is called in the directory the runtime was started from, on the
    //   host. Where should the command be when it starts, and what should `pwd` print?
    // HINT: One classic order: move into the rootfs, make "." the root, then go to the
    //   top of the new tree. After the second step, what does "/" mean?
    chdir(rootfs);
    chroot(".");
    chdir("/");
    // END EXERCISE
}

}  // namespace change_root
