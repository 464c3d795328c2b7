// identity.cpp: who and where the probe is: names, ids, maps, capabilities,
// seccomp mode.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "probe.hpp"

namespace probe {

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

int ids(const Args&) {
    // The supplementary groups, joined with ',' ("none" if there are none).
    gid_t list[64];
    int n = getgroups(64, list);
    std::string groups;
    for (int i = 0; i < n; ++i) groups += (i ? "," : "") + std::to_string(list[i]);
    std::printf("uid=%d gid=%d euid=%d egid=%d groups=%s\n", getuid(), getgid(), geteuid(),
                getegid(), groups.empty() ? (n < 0 ? "unknown" : "none") : groups.c_str());
    return 0;
}

namespace {

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

}  // namespace

int maps(const Args&) {
    std::printf("uid_map=%s gid_map=%s\n", read_map("/proc/self/uid_map").c_str(),
                read_map("/proc/self/gid_map").c_str());
    return 0;
}

int caps(const Args&) {
    std::printf("cap_eff=%s cap_prm=%s cap_inh=%s cap_bnd=%s cap_amb=%s no_new_privs=%s\n",
                status_field("CapEff").c_str(), status_field("CapPrm").c_str(),
                status_field("CapInh").c_str(), status_field("CapBnd").c_str(),
                status_field("CapAmb").c_str(), status_field("NoNewPrivs").c_str());
    return 0;
}

int seccomp(const Args&) {
    // 0 = off, 1 = strict, 2 = filter (proc(5)).
    std::printf("seccomp=%s\n", status_field("Seccomp").c_str());
    return 0;
}

}  // namespace probe
