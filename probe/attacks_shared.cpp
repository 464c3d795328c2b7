// attacks_shared.cpp: attacks on what the kernel shares with the host until
// a namespace splits it: the hostname (03-uts), System V IPC (04-ipc).
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probe.hpp"

namespace probe {

int hostname_attack(const Args& args) {
    std::string name = arg(args, 0);
    int err = sethostname(name.data(), name.size()) == 0 ? 0 : errno;
    // Whether the *host's* name changed is for the test to see from outside.
    return report("hostname", err == 0, "sethostname=" + errno_name(err));
}

// Reads (read-only) the segment the test made on the host under KEY.
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

}  // namespace probe
