// util.cpp: the probe's small helpers (see probe.hpp).
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "probe.hpp"

namespace probe {

std::string errno_name(int err) {
    if (err < 0) {  // a child killed by signal -err
        const char* signal = sigabbrev_np(-err);
        return "SIG" + std::string(signal != nullptr ? signal : std::to_string(-err));
    }
    const char* name = err == 0 ? "OK" : strerrorname_np(err);
    return name != nullptr ? name : std::to_string(err);
}

int usage() {
    std::fprintf(stderr, "usage: probe QUESTION [ARGS]; see probe/main.cpp\n");
    return 2;
}

std::string arg(const Args& args, size_t i) {
    if (i >= args.size()) {
        std::fprintf(stderr, "probe: missing argument\n");
        std::exit(2);
    }
    return args[i];
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

std::string first_line_of(int fd, int* err) {
    char buffer[256] = {};
    ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
    *err = n < 0 ? errno : 0;
    std::string text(buffer, n > 0 ? static_cast<size_t>(n) : 0);
    return text.substr(0, text.find('\n'));
}

int report(const std::string& attack, bool success, const std::string& detail) {
    std::printf("attack=%s result=%s %s\n", attack.c_str(), success ? "success" : "blocked",
                detail.c_str());
    return 0;
}

int report(const std::string& attack, const std::string& outcome) {
    bool success = outcome.rfind("success", 0) == 0;
    return report(attack, success, outcome.substr(outcome.find(' ') + 1));
}

ProcView::ProcView() {
    struct stat st {};
    if (stat("/proc/self", &st) == 0) return;
    error_ = mount("proc", "/proc", "proc", 0, nullptr) == 0 ? 0 : errno;
    mounted_ = error_ == 0;
}

ProcView::~ProcView() {
    if (mounted_) umount2("/proc", MNT_DETACH);
}

std::string in_child(std::string (*attempt)(const Args&), const Args& args) {
    int out[2];
    if (pipe(out) != 0) return "blocked pipe=" + errno_name(errno);
    pid_t child = fork();
    if (child < 0) return "blocked fork=" + errno_name(errno);
    if (child == 0) {
        close(out[0]);
        std::string line = attempt(args);
        (void)!write(out[1], line.data(), line.size());
        _exit(0);
    }
    close(out[1]);
    char buffer[512] = {};
    ssize_t n = read(out[0], buffer, sizeof buffer - 1);
    close(out[0]);
    waitpid(child, nullptr, 0);
    return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace probe
