// peak_rss CMD [ARGS...]: runs CMD and prints the peak RSS of its process tree, in KiB.
//
// The number is the largest ru_maxrss that wait4(2) returns for CMD and for
// every orphan of its tree (peak_rss is a child subreaper, so orphans come
// to it): for one process, ru_maxrss is its own peak or that of any
// descendant it waited for, whichever is larger. So it is the peak of the
// single largest process of the tree at any moment, not a sum.
//
// Why a program of its own: the kernel carries a process's peak across
// execve(2) (the old memory's peak is kept in the new program's
// ru_maxrss), and a child starts as a copy of its parent, or in its memory
// for vfork(2) and posix_spawn(3). A child of Python, or of any big
// program, reports at least its parent's size. This launcher is a small
// static program: what it adds is its own few hundred KiB, the floor that
// `peak_rss /bin/true` shows. A bench tool (bench/runtimes), never a test.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("usage: peak_rss CMD [ARGS...]\n", stderr);
        return 2;
    }
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        std::perror("peak_rss: prctl(PR_SET_CHILD_SUBREAPER)");
        return 1;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        std::perror("peak_rss: fork");
        return 1;
    }
    if (pid == 0) {
        ::execv(argv[1], argv + 1);
        std::perror("peak_rss: execv");
        _exit(127);
    }
    long peak = 0;
    int command_status = 0;
    for (;;) {
        int status = 0;
        rusage usage{};
        pid_t done = ::wait4(-1, &status, 0, &usage);
        if (done < 0) {
            if (errno == EINTR) continue;
            break;  // ECHILD: the whole tree is gone
        }
        if (usage.ru_maxrss > peak) peak = usage.ru_maxrss;
        if (done == pid) command_status = status;
    }
    std::printf("%ld\n", peak);
    return WIFEXITED(command_status) ? WEXITSTATUS(command_status) : 128 + WTERMSIG(command_status);
}
