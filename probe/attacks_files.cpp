// attacks_files.cpp: attacks that reach the host's files from inside the
// root the container was given.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "probe.hpp"

namespace probe {

namespace {

// In a child (in_child): chroot into a fresh subdirectory, which leaves the
// working directory *outside* the new root; from there ".." is never
// stopped at the root, so it climbs to the real "/".
std::string escape_chroot(const Args& args) {
    const std::string& dir = args[0];
    if (chroot(dir.c_str()) != 0) return "blocked chroot=" + errno_name(errno);
    for (int i = 0; i < 64; ++i) (void)!chdir("..");
    int err = chroot(".") == 0 ? 0 : errno;
    std::string content = err == 0 ? first_line(args[1], &err) : "";
    return err == 0 ? "success read=" + content : "blocked open=" + errno_name(err);
}

}  // namespace

// The classic chroot escape: reads the first line of the host file PATH.
// Needs root (CAP_SYS_CHROOT) and a scratch directory in /tmp, which it
// removes. Runs in a child so that the probe itself stays where it was.
int chroot_escape(const Args& args) {
    std::string target = arg(args, 0);
    char dir[] = "/tmp/escape.XXXXXX";
    if (mkdtemp(dir) == nullptr)
        return report("chroot-escape", false, "mkdtemp=" + errno_name(errno));
    std::string outcome = in_child(escape_chroot, {dir, target});
    rmdir(dir);
    return report("chroot-escape", outcome);
}

}  // namespace probe
