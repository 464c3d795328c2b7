// calls.cpp: the errno of a harmless system call, and whether a path exists.
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

#include "probe.hpp"

namespace probe {

// Tries one harmless call and prints its errno. Each attempt is chosen so
// that success changes nothing that matters: a tmpfs over a scratch dir
// (unmounted at once), a node in /tmp (removed), the hostname it already
// has, the clock set to the time it already shows, an unshare of the
// probe's own process, a scratch file of its own given away.
int errno_of(const Args& args) {
    static const std::map<std::string, std::function<int()>> calls{
        {"mount",
         [] {
             char dir[] = "/tmp/probe-mnt.XXXXXX";
             if (mkdtemp(dir) == nullptr) return errno;
             int err = mount("probe", dir, "tmpfs", 0, nullptr) == 0 ? 0 : errno;
             if (err == 0) umount2(dir, MNT_DETACH);
             rmdir(dir);
             return err;
         }},
        {"mknod",
         [] {
             const char* node = "/tmp/probe-null";
             int err = mknod(node, S_IFCHR | 0600, makedev(1, 3)) == 0 ? 0 : errno;
             unlink(node);
             return err;
         }},
        {"sethostname",
         [] {
             utsname u{};
             uname(&u);
             return sethostname(u.nodename, strlen(u.nodename)) == 0 ? 0 : errno;
         }},
        {"clock_settime",
         [] {
             timespec now{};
             clock_gettime(CLOCK_REALTIME, &now);
             return clock_settime(CLOCK_REALTIME, &now) == 0 ? 0 : errno;
         }},
        {"unshare", [] { return unshare(CLONE_NEWUTS) == 0 ? 0 : errno; }},
        {"chown",
         [] {
             // CAP_CHOWN, which Docker's 14 keep: a file of ours given to uid 1.
             char file[] = "/tmp/probe-chown.XXXXXX";
             int fd = mkstemp(file);
             if (fd < 0) return errno;
             int err = fchown(fd, 1, 1) == 0 ? 0 : errno;
             close(fd);
             unlink(file);
             return err;
         }},
    };
    std::string name = arg(args, 0);
    auto found = calls.find(name);
    if (found == calls.end()) return usage();
    std::printf("errno.%s=%s\n", name.c_str(), errno_name(found->second()).c_str());
    return 0;
}

int exists(const Args& args) {
    struct stat st {};
    std::printf("exists=%s\n", lstat(arg(args, 0).c_str(), &st) == 0 ? "yes" : "no");
    return 0;
}

}  // namespace probe
