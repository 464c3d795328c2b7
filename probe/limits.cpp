// limits.cpp: what the limits of chapter 08 (cgroups) are about: processes,
// memory and CPU time. Each question uses as much as it is allowed, within a
// bound of its own, and says how far it got:
//   forks MAX [HOLD]   fork children (they wait) until fork(2) fails or MAX
//                      are running; with HOLD, keep them HOLD seconds more
//   hog SIZE           allocate SIZE of memory and touch every page
//   spin SECONDS       keep one CPU busy for SECONDS of wall time
// The attacks of the matrix (attacks_cgroup.cpp) use them too.
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "probe.hpp"

namespace probe {

size_t parse_size(const std::string& text) {
    char* end = nullptr;
    unsigned long long number = std::strtoull(text.c_str(), &end, 10);
    int shift = *end == 'k' || *end == 'K'   ? 10
                : *end == 'm' || *end == 'M' ? 20
                : *end == 'g' || *end == 'G' ? 30
                                             : 0;
    return static_cast<size_t>(number << shift);
}

Forked fork_until(int max) {
    Forked forked;
    int hold[2];
    if (pipe(hold) != 0) return {0, errno, -1};
    for (; forked.count < max; ++forked.count) {
        pid_t child = fork();
        if (child < 0) {
            forked.error = errno;
            break;
        }
        if (child == 0) {  // waits until the probe closes its end of the pipe
            close(hold[1]);
            char c;
            while (read(hold[0], &c, 1) > 0) {
            }
            _exit(0);
        }
    }
    close(hold[0]);
    forked.release = hold[1];
    return forked;
}

void release(const Forked& forked) {
    close(forked.release);
    while (wait(nullptr) > 0) {
    }
}

int forks(const Args& args) {
    int max = std::atoi(arg(args, 0).c_str());
    int hold = args.size() > 1 ? std::atoi(args[1].c_str()) : 0;
    Forked forked = fork_until(max);
    std::printf("forked=%d error=%s\n", forked.count,
                forked.error ? errno_name(forked.error).c_str() : "none");
    std::fflush(stdout);
    if (hold > 0) sleep(static_cast<unsigned>(hold));
    release(forked);
    return 0;
}

bool touch(size_t bytes) {
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return false;
    long page = sysconf(_SC_PAGESIZE);
    // Every page written: the kernel charges a page to the cgroup when it is
    // first touched, not when it is mapped.
    for (size_t at = 0; at < bytes; at += static_cast<size_t>(page))
        static_cast<volatile char*>(memory)[at] = 1;
    munmap(memory, bytes);
    return true;
}

int hog(const Args& args) {
    std::string size = arg(args, 0);
    if (!touch(parse_size(size))) {
        std::printf("touched=none mmap=%s\n", errno_name(errno).c_str());
        return 1;
    }
    std::printf("touched=%s\n", size.c_str());
    return 0;
}

int spin(const Args& args) {
    double seconds = std::atof(arg(args, 0).c_str());
    std::printf("spinning=%s\n", args[0].c_str());
    std::fflush(stdout);
    timespec start{}, now{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    volatile unsigned long spins = 0;
    do {
        for (int i = 0; i < 100000; ++i) spins = spins + 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    std::printf("spun=%s\n", args[0].c_str());
    return 0;
}

}  // namespace probe
