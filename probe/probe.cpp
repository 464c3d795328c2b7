// probe: answers precise questions from inside a container, one line each.
//
// The chapter and attack tests run it in the container and parse its
// answers ("key=value ..."), instead of guessing from the human-friendly
// output of ps or hostname. It also carries the attack attempts of the
// attack matrix; each only targets what the test made for it (a file, a
// process, a segment) and reports what happened without harming anything.
//
//   probe hostname | domainname | pid | pids | ids | maps | caps | seccomp | zombies
//   probe errno SYSCALL          (mount, mknod, sethostname, clock_settime, unshare)
//   probe exists PATH            probe orphans N
//   probe shm-create KEY         probe mq-create NAME
//   probe attack chroot-escape PATH | hostname NAME | shm-read KEY | kill PID
//   probe attack see-proc PID | join-uts PID
//
// Called as `ipcs` (the rootfs links /usr/bin/ipcs to it, since Debian's
// static busybox has no ipcs applet) it lists the shared memory segments the
// way util-linux `ipcs -m` does, and nothing else.
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Args = std::vector<std::string>;

// The kernel's name for an errno ("EPERM"), for lines a test can match.
std::string errno_name(int err) {
    return err == 0 ? "OK" : strerrorname_np(err);
}

int usage() {
    std::fprintf(stderr, "usage: probe QUESTION [ARGS]; see probe.cpp\n");
    return 2;
}

std::string arg(const Args& args, size_t i) {
    if (i >= args.size()) {
        std::fprintf(stderr, "probe: missing argument\n");
        std::exit(2);
    }
    return args[i];
}

std::vector<int> visible_pids() {
    std::vector<int> pids;
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return pids;
    while (dirent* entry = readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (*end == '\0' && pid > 0) pids.push_back(static_cast<int>(pid));
    }
    closedir(proc);
    return pids;
}

// The state letter of a process in /proc/PID/stat ('R', 'S', 'Z', ...), or
// 0 if there is no such process (any more).
char process_state(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : 0;
}

// Zombies among the processes /proc shows.
int count_zombies() {
    int zombies = 0;
    for (int pid : visible_pids()) zombies += process_state(pid) == 'Z';
    return zombies;
}

// --- plain questions -------------------------------------------------------

int hostname(const Args&) {
    utsname u{};
    uname(&u);
    std::printf("hostname=%s\n", u.nodename);
    return 0;
}

int domainname(const Args&) {
    utsname u{};
    uname(&u);
    std::printf("domainname=%s\n", u.domainname);
    return 0;
}

int pid(const Args&) {
    std::printf("pid=%d ppid=%d\n", getpid(), getppid());
    return 0;
}

int pids(const Args&) {
    std::string list;
    for (int p : visible_pids()) list += (list.empty() ? "" : ",") + std::to_string(p);
    std::printf("pids=%s\n", list.c_str());
    return 0;
}

int ids(const Args&) {
    std::printf("uid=%d gid=%d euid=%d egid=%d\n", getuid(), getgid(), geteuid(), getegid());
    return 0;
}

// The uid and gid maps of our user namespace (user_namespaces(7)), one
// "inside outside count" triple per line, joined with ';'.
std::string read_map(const std::string& path) {
    std::ifstream in(path);
    std::string line, joined;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string a, b, n;
        fields >> a >> b >> n;
        joined += (joined.empty() ? "" : ";") + a + ":" + b + ":" + n;
    }
    return joined.empty() ? "none" : joined;
}

int maps(const Args&) {
    std::printf("uid_map=%s gid_map=%s\n", read_map("/proc/self/uid_map").c_str(),
                read_map("/proc/self/gid_map").c_str());
    return 0;
}

// A field of /proc/self/status ("CapEff", "Seccomp", "NoNewPrivs").
std::string status_field(const std::string& name) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(name + ":", 0) == 0) {
            std::string value = line.substr(name.size() + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            return value;
        }
    return "unknown";
}

int caps(const Args&) {
    std::printf("cap_eff=%s cap_prm=%s cap_bnd=%s cap_amb=%s no_new_privs=%s\n",
                status_field("CapEff").c_str(), status_field("CapPrm").c_str(),
                status_field("CapBnd").c_str(), status_field("CapAmb").c_str(),
                status_field("NoNewPrivs").c_str());
    return 0;
}

int seccomp(const Args&) {
    // 0 = off, 1 = strict, 2 = filter (proc(5)).
    std::printf("seccomp=%s\n", status_field("Seccomp").c_str());
    return 0;
}

// Tries one harmless call and prints its errno. Each attempt is chosen so
// that success changes nothing that matters: a tmpfs over a scratch dir
// (unmounted at once), a node in /tmp (removed), the hostname it already
// has, the clock set to the time it already shows, an unshare of the
// probe's own process.
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
    };
    std::string name = arg(args, 0);
    auto found = calls.find(name);
    if (found == calls.end()) return usage();
    std::printf("errno.%s=%s\n", name.c_str(), errno_name(found->second()).c_str());
    return 0;
}

int zombies(const Args&) {
    std::printf("zombies=%d\n", count_zombies());
    return 0;
}

int exists(const Args& args) {
    struct stat st {};
    std::printf("exists=%s\n", lstat(arg(args, 0).c_str(), &st) == 0 ? "yes" : "no");
    return 0;
}

// Makes N orphans: each child forks a grandchild and exits at once, so the
// grandchild is re-parented to PID 1 (or a subreaper). Then the grandchildren
// exit, and the probe watches them for up to 2 s: does someone reap them,
// or do they stay zombies? Prints how many are left as zombies.
int orphans(const Args& args) {
    int n = std::atoi(arg(args, 0).c_str());
    int release[2], pids[2];
    if (pipe(release) != 0 || pipe(pids) != 0) return 1;
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child == 0) {
            pid_t grandchild = fork();
            if (grandchild == 0) {
                close(release[1]);
                char c;
                while (read(release[0], &c, 1) > 0) {
                }
                _exit(0);
            }
            (void)!write(pids[1], &grandchild, sizeof grandchild);
            _exit(0);
        }
        waitpid(child, nullptr, 0);
    }
    std::vector<pid_t> grandchildren(n);
    for (pid_t& g : grandchildren) (void)!read(pids[0], &g, sizeof g);
    close(release[0]);
    close(release[1]);  // the grandchildren see EOF and exit
    // Wait until none is still running, then give a reaper time to act.
    auto count = [&](auto keep) {
        int k = 0;
        for (pid_t g : grandchildren) k += keep(process_state(g));
        return k;
    };
    for (int tries = 0; tries < 100 && count([](char s) { return s != 0 && s != 'Z'; }); ++tries)
        usleep(50000);
    int zombies = 0;
    for (int tries = 0; tries < 40; ++tries) {
        zombies = count([](char s) { return s == 'Z'; });
        if (zombies == 0) break;
        usleep(50000);
    }
    std::printf("zombies=%d\n", zombies);
    return 0;
}

int shm_create(const Args& args) {
    key_t key = static_cast<key_t>(std::stoul(arg(args, 0), nullptr, 0));
    int id = shmget(key, 4096, IPC_CREAT | 0600);
    std::printf("shm_create=%s id=%d\n", errno_name(id < 0 ? errno : 0).c_str(), id);
    return id < 0;
}

int mq_create(const Args& args) {
    mqd_t q = mq_open(arg(args, 0).c_str(), O_CREAT | O_RDWR, 0600, nullptr);
    std::printf("mq_create=%s\n", errno_name(q == (mqd_t)-1 ? errno : 0).c_str());
    return q == (mqd_t)-1;
}

// Lists System V shared memory segments through shmctl(2) SHM_INFO and
// SHM_STAT, as ipcs(1) does: it needs no /proc, which chapter 01 lacks.
int ipcs(const Args& args) {
    if (!args.empty() && !(args.size() == 1 && args[0] == "-m")) {
        std::fprintf(stderr,
                     "ipcs: this rootfs's ipcs (the probe) only lists shared memory: ipcs -m\n");
        return 2;
    }
    std::printf("\n------ Shared Memory Segments --------\n");
    std::printf("%-10s %-10s %-10s %-10s %-10s %-10s\n", "key", "shmid", "owner", "perms", "bytes",
                "nattch");
    shm_info info{};
    int highest = shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&info));
    for (int index = 0; index <= highest; ++index) {
        shmid_ds ds{};
        int id = shmctl(index, SHM_STAT, &ds);
        if (id < 0) continue;
        std::printf("0x%08x %-10d %-10d %-10o %-10zu %-10lu\n",
                    static_cast<unsigned>(ds.shm_perm.__key), id, ds.shm_perm.uid,
                    ds.shm_perm.mode & 0777, ds.shm_segsz,
                    static_cast<unsigned long>(ds.shm_nattch));
    }
    std::printf("\n");
    return 0;
}

// --- attacks -----------------------------------------------------------------

int report(const std::string& attack, bool success, const std::string& detail) {
    std::printf("attack=%s result=%s %s\n", attack.c_str(), success ? "success" : "blocked",
                detail.c_str());
    return 0;
}

std::string first_line(const std::string& path, int* err) {
    std::ifstream in(path);
    if (!in) {
        *err = errno;
        return "";
    }
    std::string line;
    std::getline(in, line);
    *err = 0;
    return line;
}

// The classic chroot escape. A root process chroots into a subdirectory,
// which leaves its working directory *outside* its new root; from there
// ".." is never stopped at the root, so it climbs to the real "/".
// Runs in a child so that the probe itself stays where it was.
int chroot_escape(const Args& args) {
    std::string target = arg(args, 0);
    char dir[] = "/tmp/escape.XXXXXX";
    if (mkdtemp(dir) == nullptr)
        return report("chroot-escape", false, "mkdtemp=" + errno_name(errno));
    int out[2];
    if (pipe(out) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        close(out[0]);
        std::string line;
        if (chroot(dir) != 0) {
            line = "blocked chroot=" + errno_name(errno);
        } else {
            for (int i = 0; i < 64; ++i) (void)!chdir("..");
            int err = chroot(".") == 0 ? 0 : errno;
            std::string content = err == 0 ? first_line(target, &err) : "";
            line = err == 0 ? "success read=" + content : "blocked open=" + errno_name(err);
        }
        (void)!write(out[1], line.data(), line.size());
        _exit(0);
    }
    close(out[1]);
    char buffer[512] = {};
    ssize_t n = read(out[0], buffer, sizeof buffer - 1);
    waitpid(child, nullptr, 0);
    rmdir(dir);
    std::string result(buffer, n > 0 ? static_cast<size_t>(n) : 0);
    bool success = result.rfind("success", 0) == 0;
    return report("chroot-escape", success, result.substr(result.find(' ') + 1));
}

int hostname_attack(const Args& args) {
    std::string name = arg(args, 0);
    int err = sethostname(name.data(), name.size()) == 0 ? 0 : errno;
    // Whether the *host's* name changed is for the test to see from outside.
    return report("hostname", err == 0, "sethostname=" + errno_name(err));
}

int shm_read(const Args& args) {
    key_t key = static_cast<key_t>(std::stoul(arg(args, 0), nullptr, 0));
    int id = shmget(key, 0, 0);
    if (id < 0) return report("shm-read", false, "shmget=" + errno_name(errno));
    void* memory = shmat(id, nullptr, SHM_RDONLY);
    if (memory == reinterpret_cast<void*>(-1))
        return report("shm-read", false, "shmat=" + errno_name(errno));
    std::string content(static_cast<const char*>(memory),
                        strnlen(static_cast<const char*>(memory), 64));
    shmdt(memory);
    return report("shm-read", true, "read=" + content);
}

int kill_attack(const Args& args) {
    pid_t target = std::atoi(arg(args, 0).c_str());
    int err = kill(target, SIGTERM) == 0 ? 0 : errno;
    return report("kill", err == 0, "kill=" + errno_name(err));
}

// /proc, for the attacks that look there. Chapter 01 mounts none, so root
// simply mounts one, which is the point: nothing stops it. Unmounted again
// when the attack is done.
class ProcView {
  public:
    ProcView() {
        struct stat st {};
        if (stat("/proc/self", &st) == 0) return;
        error_ = mount("proc", "/proc", "proc", 0, nullptr) == 0 ? 0 : errno;
        mounted_ = error_ == 0;
    }
    ~ProcView() {
        if (mounted_) umount2("/proc", MNT_DETACH);
    }
    ProcView(const ProcView&) = delete;
    ProcView& operator=(const ProcView&) = delete;
    int error() const { return error_; }

  private:
    bool mounted_ = false;
    int error_ = 0;
};

// Looks for a host process in /proc.
int see_proc(const Args& args) {
    ProcView proc;
    if (proc.error() != 0) return report("see-proc", false, "mount=" + errno_name(proc.error()));
    int err = 0;
    std::string comm = first_line("/proc/" + arg(args, 0) + "/comm", &err);
    if (err != 0) return report("see-proc", false, "open=" + errno_name(err));
    return report("see-proc", true, "comm=" + comm);
}

// Joins the UTS namespace of a host process through /proc/PID/ns/uts, as
// `nsenter --uts` does, and reads the hostname there. A namespace of one's
// own is no wall while the host's processes are in sight and root keeps
// CAP_SYS_ADMIN. Only this probe process moves; it changes nothing.
int join_uts(const Args& args) {
    ProcView proc;
    if (proc.error() != 0) return report("join-uts", false, "mount=" + errno_name(proc.error()));
    std::string path = "/proc/" + arg(args, 0) + "/ns/uts";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return report("join-uts", false, "open=" + errno_name(errno));
    int err = setns(fd, CLONE_NEWUTS) == 0 ? 0 : errno;
    close(fd);
    if (err != 0) return report("join-uts", false, "setns=" + errno_name(err));
    utsname u{};
    uname(&u);
    return report("join-uts", true, std::string("hostname=") + u.nodename);
}

int attack(const Args& args) {
    static const std::map<std::string, std::function<int(const Args&)>> attacks{
        {"chroot-escape", chroot_escape}, {"hostname", hostname_attack},
        {"shm-read", shm_read},           {"kill", kill_attack},
        {"see-proc", see_proc},           {"join-uts", join_uts}};
    auto found = attacks.find(arg(args, 0));
    if (found == attacks.end()) return usage();
    return found->second(Args(args.begin() + 1, args.end()));
}

}  // namespace

int tiocsti(const std::vector<std::string>& args);  // tty.cpp

int main(int argc, char** argv) {
    static const std::map<std::string, std::function<int(const Args&)>> questions{
        {"hostname", hostname},
        {"domainname", domainname},
        {"pid", pid},
        {"pids", pids},
        {"ids", ids},
        {"zombies", zombies},
        {"maps", maps},
        {"caps", caps},
        {"seccomp", seccomp},
        {"errno", errno_of},
        {"exists", exists},
        {"orphans", orphans},
        {"shm-create", shm_create},
        {"mq-create", mq_create},
        {"attack", attack},
        {"tiocsti", tiocsti}};
    std::string name = argv[0];
    if (name == "ipcs" || name.ends_with("/ipcs")) return ipcs(Args(argv + 1, argv + argc));
    if (argc < 2) return usage();
    auto found = questions.find(argv[1]);
    if (found == questions.end()) return usage();
    return found->second(Args(argv + 2, argv + argc));
}
