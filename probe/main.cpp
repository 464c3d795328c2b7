// probe: answers precise questions from inside a container, one line each.
//
// The chapter and attack tests run it in the container and parse its
// answers ("key=value ..."), instead of guessing from the human-friendly
// output of ps or hostname. It also carries the attack attempts of the
// attack matrix; each only targets what the test made for it (a file, a
// process, a segment) and reports what happened without harming anything.
//
//   probe hostname | domainname | pid | pids | ids | maps | caps | seccomp | zombies
//   probe errno SYSCALL...       (mount, mknod, sethostname, clock_settime, unshare, chown;
//                                 chapter 10's in calls_filtered.cpp: keyctl, clone3, ...)
//   probe exists PATH            probe orphans N
//   probe read PATH | write PATH TEXT | setgroups-read PATH
//   probe shm-create KEY         probe mq-create NAME
//   probe attack chroot-escape PATH | inherited-fd | open-by-handle TYPE HEX
//   probe attack write-rootfs PATH TEXT | hostname NAME | shm-read KEY
//   probe attack kill PID | see-proc PID | proc-root PID PATH | join-uts PID
//   probe attack join-mnt PID PATH | overwrite PATH TEXT | mknod-read MAJOR MINOR
//   probe attack remount-rw DIR
//   probe attack mount-tmpfs | mknod-block MAJOR MINOR [DIR] | init-module | set-clock
//   probe attack sysrq-trigger | kcore | setuid-root PATH
//   probe attack nested-userns | keyring [DESC] | userfaultfd | io-uring
//   probe attack loopback PORT | abstract NAME | see-link NAME
//   probe forks MAX [HOLD] | hog SIZE | spin SECONDS
//   probe attack fork-bomb N | memory-hog SIZE | cgroup-escape | release-agent
//   probe attack core-pattern | interrupts | proc-keys DESC | timer-list | runtime-exe
//
// Called as `ipcs` (the rootfs links /usr/bin/ipcs to it, since Debian's
// static busybox has no ipcs applet) it lists the shared memory segments the
// way util-linux `ipcs -m` does, and nothing else.
//
// One file per concern: identity.cpp, processes.cpp, calls.cpp, ipc.cpp,
// and the attacks by the way they go: attacks_files.cpp (the filesystem),
// attacks_shared.cpp (what the kernel shares), attacks_processes.cpp (a
// host process), attacks_caps.cpp (root's powers that 09 takes away),
// attacks_seccomp.cpp (calls no namespace isolates: 10's filter), attacks_net.cpp
// (the host's network namespace), limits.cpp and attacks_cgroup.cpp (08's cgroups). util.cpp holds the helpers of probe.hpp.
#include <functional>
#include <map>

#include "probe.hpp"

namespace {

using probe::Args;
using Question = std::function<int(const Args&)>;

int attack(const Args& args) {
    static const std::map<std::string, Question> attacks{{"chroot-escape", probe::chroot_escape},
                                                         {"inherited-fd", probe::inherited_fd},
                                                         {"open-by-handle", probe::open_by_handle},
                                                         {"write-rootfs", probe::write_rootfs},
                                                         {"overwrite", probe::overwrite},
                                                         {"mknod-read", probe::mknod_read},
                                                         {"remount-rw", probe::remount_rw},
                                                         {"hostname", probe::hostname_attack},
                                                         {"shm-read", probe::shm_read},
                                                         {"kill", probe::kill_attack},
                                                         {"see-proc", probe::see_proc},
                                                         {"proc-root", probe::proc_root},
                                                         {"join-uts", probe::join_uts},
                                                         {"join-mnt", probe::join_mnt},
                                                         {"mount-tmpfs", probe::mount_tmpfs},
                                                         {"mknod-block", probe::mknod_block},
                                                         {"init-module", probe::init_module_attack},
                                                         {"set-clock", probe::set_clock},
                                                         {"sysrq-trigger", probe::sysrq_trigger},
                                                         {"kcore", probe::kcore},
                                                         {"setuid-root", probe::setuid_root},
                                                         {"nested-userns", probe::nested_userns},
                                                         {"keyring", probe::keyring},
                                                         {"userfaultfd", probe::userfaultfd},
                                                         {"io-uring", probe::io_uring},
                                                         {"loopback", probe::loopback},
                                                         {"abstract", probe::abstract_socket},
                                                         {"see-link", probe::see_link},
                                                         {"fork-bomb", probe::fork_bomb},
                                                         {"memory-hog", probe::memory_hog},
                                                         {"cgroup-escape", probe::cgroup_escape},
                                                         {"release-agent", probe::release_agent},
                                                         {"core-pattern", probe::core_pattern},
                                                         {"interrupts", probe::interrupts},
                                                         {"proc-keys", probe::proc_keys},
                                                         {"timer-list", probe::timer_list},
                                                         {"runtime-exe", probe::runtime_exe}};
    auto found = attacks.find(probe::arg(args, 0));
    if (found == attacks.end()) return probe::usage();
    return found->second(Args(args.begin() + 1, args.end()));
}

}  // namespace

int main(int argc, char** argv) {
    static const std::map<std::string, Question> questions{
        {"hostname", probe::hostname},
        {"domainname", probe::domainname},
        {"pid", probe::pid},
        {"pids", probe::pids},
        {"ids", probe::ids},
        {"zombies", probe::zombies},
        {"maps", probe::maps},
        {"caps", probe::caps},
        {"seccomp", probe::seccomp},
        {"errno", probe::errno_of},
        {"exists", probe::exists},
        {"read", probe::read_file},
        {"write", probe::write_file},
        {"setgroups-read", probe::setgroups_read},
        {"orphans", probe::orphans},
        {"shm-create", probe::shm_create},
        {"mq-create", probe::mq_create},
        {"forks", probe::forks},
        {"hog", probe::hog},
        {"spin", probe::spin},
        {"attack", attack},
        {"tiocsti", probe::tiocsti}};
    std::string name = argv[0];
    if (name == "ipcs" || name.ends_with("/ipcs")) return probe::ipcs(Args(argv + 1, argv + argc));
    if (argc < 2) return probe::usage();
    auto found = questions.find(argv[1]);
    if (found == questions.end()) return probe::usage();
    return found->second(Args(argv + 2, argv + argc));
}
