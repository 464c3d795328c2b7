// processes.cpp: the processes the probe can see, and orphans for an init
// to reap.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "probe.hpp"

namespace probe {

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

namespace {

// The state letter of a process in /proc/PID/stat ('R', 'S', 'Z', ...), or
// 0 if there is no such process (any more).
char process_state(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : 0;
}

}  // namespace

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

// Zombies among the processes /proc shows.
int zombies(const Args&) {
    int zombies = 0;
    for (int pid : visible_pids()) zombies += process_state(pid) == 'Z';
    std::printf("zombies=%d\n", zombies);
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

}  // namespace probe
