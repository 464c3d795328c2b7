// probe.hpp: what the probe's files share (see main.cpp for the questions).
//
// Each question is a function taking its arguments and printing one line of
// "key=value" answers; it returns the probe's exit status. main.cpp maps the
// question names to them.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace probe {

using Args = std::vector<std::string>;

// --- helpers (util.cpp) ------------------------------------------------------

// The kernel's name for an errno ("EPERM"), or "OK" for 0: lines a test can match;
// a negative number -N is signal N ("SIGSYS": a child killed by it).
std::string errno_name(int err);
// The usage line on stderr; returns 2, the exit status of bad input.
int usage();
// args[i], or a one-line error and exit 2 when the argument is missing.
std::string arg(const Args& args, size_t i);
// The first line of a file; *err is 0, or the errno of the failed open.
std::string first_line(const std::string& path, int* err);
// The first line of an open file, read from its start (pread(2)); *err as above.
std::string first_line_of(int fd, int* err);
// The answer of an attack: "attack=NAME result=success|blocked DETAIL".
int report(const std::string& attack, bool success, const std::string& detail);
// The same from an outcome line "success DETAIL" or "blocked DETAIL" (of in_child).
int report(const std::string& attack, const std::string& outcome);

// A /proc, for the attacks that look there. Chapter 01 mounts none, so root
// simply mounts one, which is the point: nothing stops it. Unmounted again
// when the attack is done. (An attack that moves to another root or mount
// namespace must do so in a child, so that this unmounts the /proc it made.)
class ProcView {
  public:
    ProcView();
    ~ProcView();
    ProcView(const ProcView&) = delete;
    ProcView& operator=(const ProcView&) = delete;
    int error() const { return error_; }

  private:
    bool mounted_ = false;
    int error_ = 0;
};

// Runs `attempt` in a forked child and returns the line it wrote, so an
// attempt that changes the process (its root, its mount namespace) leaves
// the probe as it was.
std::string in_child(std::string (*attempt)(const Args&), const Args& args);

// --- who and where am I (identity.cpp) ----------------------------------------
int hostname(const Args&);
int domainname(const Args&);
int ids(const Args&);
int maps(const Args&);
int caps(const Args&);
int seccomp(const Args&);

// --- processes (processes.cpp) --------------------------------------------------
std::vector<int> visible_pids();
int pid(const Args&);
int pids(const Args&);
int zombies(const Args&);
int orphans(const Args&);

// --- using what the limits of 08 limit (limits.cpp) ---------------------------
// "64M" -> bytes (k, m, g, either case).
size_t parse_size(const std::string& text);
// Children forked by fork_until: they wait until release() closes `release`.
struct Forked {
    int count = 0;     // forked and still running
    int error = 0;     // errno of the fork(2) that failed, 0 if none did
    int release = -1;  // the write end of the pipe they wait on
};
Forked fork_until(int max);
void release(const Forked& forked);
// Maps `bytes` and writes a byte on every page; false if mmap(2) fails.
bool touch(size_t bytes);
int forks(const Args&);
int hog(const Args&);
int spin(const Args&);

// --- system calls and files (calls.cpp) -----------------------------------------
// A harmless attempt at a call, by name: 0 if it worked, else its errno.
using CallTable = std::map<std::string, std::function<int()>>;
int errno_of(const Args&);
// The calls chapter 10's filter decides (calls_filtered.cpp).
const CallTable& filtered_calls();
int exists(const Args&);
int read_file(const Args&);
int write_file(const Args&);
int setgroups_read(const Args&);

// --- System V and POSIX IPC (ipc.cpp) ---------------------------------------------
int shm_create(const Args&);
int mq_create(const Args&);
int ipcs(const Args&);

// tty.cpp
int tiocsti(const Args&);

// --- attacks through the filesystem (attacks_files.cpp) ---------------------------
int chroot_escape(const Args&);
int inherited_fd(const Args&);
int open_by_handle(const Args&);
int write_rootfs(const Args&);
int overwrite(const Args&);
int mknod_read(const Args&);
int remount_rw(const Args&);

// --- attacks on what the kernel shares unless a namespace splits it (attacks_shared.cpp)
int hostname_attack(const Args&);
int shm_read(const Args&);

// --- attacks through a host process (attacks_processes.cpp) -------------------------
int kill_attack(const Args&);
int see_proc(const Args&);
int proc_root(const Args&);
int join_uts(const Args&);
int join_mnt(const Args&);

// --- attacks with root's powers that 09-caps takes away (attacks_caps.cpp) -------------
// Besides success and blocked, their verdict may be result=unsupported: the
// kernel lacks the target (module support, /proc/kcore, /proc/sysrq-trigger).
int mount_tmpfs(const Args&);
int mknod_block(const Args&);
int init_module_attack(const Args&);
int set_clock(const Args&);
int sysrq_trigger(const Args&);
int kcore(const Args&);
int setuid_root(const Args&);

// --- attacks through calls no namespace isolates: chapter 10's filter (attacks_seccomp.cpp)
// (The clock change is set_clock above.)
int nested_userns(const Args&);
int keyring(const Args&);
int userfaultfd(const Args&);
int io_uring(const Args&);

// --- attacks on the limits and the cgroup tree, 08-cgroup (attacks_cgroup.cpp) ---------
// cgroup-escape and release-agent say result=unsupported without v1 hierarchies.
int fork_bomb(const Args&);
int memory_hog(const Args&);
int cgroup_escape(const Args&);
int release_agent(const Args&);

// --- attacks on the kernel's files and the runtime's binary, 11-full (attacks_full.cpp) ---
int core_pattern(const Args&);
int interrupts(const Args&);
int proc_keys(const Args&);
int timer_list(const Args&);
int runtime_exe(const Args&);

// --- attacks on the host's network namespace (attacks_net.cpp) -----------------------
int loopback(const Args&);
int abstract_socket(const Args&);
int see_link(const Args&);

}  // namespace probe
