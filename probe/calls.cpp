// calls.cpp: the errno of a harmless system call; whether a path exists, reading
// and writing a file, dropping supplementary groups.
#include <fcntl.h>
#include <grp.h>
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
// probe's own process, a scratch file of its own given away. Several names:
// one line each, in order. The calls chapter 10's filter decides are in
// calls_filtered.cpp.
int errno_of(const Args& args) {
    static const CallTable calls{
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
    arg(args, 0);  // at least one name
    for (const std::string& name : args) {
        const CallTable& table = calls.contains(name) ? calls : filtered_calls();
        auto found = table.find(name);
        if (found == table.end()) return usage();
        std::printf("errno.%s=%s\n", name.c_str(), errno_name(found->second()).c_str());
        std::fflush(stdout);  // before the next call forks
    }
    return 0;
}

// The first line of PATH: "read=OK line=TEXT", or "read=EACCES".
int read_file(const Args& args) {
    int err = 0;
    std::string line = first_line(arg(args, 0), &err);
    std::printf("read=%s%s\n", errno_name(err).c_str(), err == 0 ? (" line=" + line).c_str() : "");
    return 0;
}

// Creates (or truncates) PATH and writes TEXT and a newline: "write=OK", or
// "write=EROFS". For the scratch files of a test (volumes), never the rootfs.
int write_file(const Args& args) {
    std::string path = arg(args, 0), text = arg(args, 1) + "\n";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) err = errno;
        close(fd);
    }
    std::printf("write=%s\n", errno_name(err).c_str());
    return 0;
}

// CVE-2014-8989: drops every supplementary group with setgroups(2), then
// reads PATH, a file whose permissions deny one of those groups what they
// give everyone else ("rw----r--"). "setgroups=EPERM read=EACCES" when the
// user namespace says "deny" in /proc/self/setgroups.
int setgroups_read(const Args& args) {
    int dropped = setgroups(0, nullptr) == 0 ? 0 : errno;
    int err = 0;
    first_line(arg(args, 0), &err);
    std::printf("setgroups=%s read=%s\n", errno_name(dropped).c_str(), errno_name(err).c_str());
    return 0;
}

int exists(const Args& args) {
    struct stat st {};
    std::printf("exists=%s\n", lstat(arg(args, 0).c_str(), &st) == 0 ? "yes" : "no");
    return 0;
}

}  // namespace probe
