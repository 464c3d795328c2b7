// ipc.cpp: System V shared memory and POSIX message queues, and the `ipcs`
// personality.
#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdio>

#include "probe.hpp"

namespace probe {

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

}  // namespace probe
