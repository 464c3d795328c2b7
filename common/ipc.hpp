// ipc.hpp: chapter 04, System V IPC and POSIX message queues of its own.
//
// Shared memory segments, semaphore sets and message queues of System V,
// and POSIX message queues, are found by a key or a name that any process
// on the machine can guess. An IPC namespace (ipc_namespaces(7), Linux
// 2.6.19; POSIX queues since 2.6.30) gives the container its own set: the
// host's segments are invisible inside, and the container's vanish with it.
#pragma once

#include <filesystem>

namespace ipc {

// Mounts the IPC namespace's own POSIX message queue filesystem
// (mq_overview(7)) at `target`, usually /dev/mqueue. It shows the queues of
// the namespace of the process that mounts it, so it must be mounted from
// inside the new IPC namespace.
void mount_mqueue(const std::filesystem::path& target);

}  // namespace ipc
