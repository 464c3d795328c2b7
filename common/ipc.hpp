// ipc.hpp: chapter 04, System V IPC and POSIX message queues of its own.
//
// Shared memory segments, semaphore sets and message queues of System V,
// and POSIX message queues, are found by a key or a name that any process
// on the machine can guess. An IPC namespace (ipc_namespaces(7), Linux
// 2.6.19; POSIX queues since 2.6.30) gives the container its own set: the
// host's segments are invisible inside, and the container's vanish with it.
#pragma once

#include "mnt.hpp"
#include "options.hpp"

namespace ipc {

// The row for the IPC namespace's own POSIX message queue filesystem
// (mq_overview(7)) at /dev/mqueue. It shows the queues of the namespace of
// the process that mounts it, so it is mounted from inside the new IPC
// namespace (the container's child mounts every row of the table).
mnt::Mount mqueue_mount();

// The option group: no option, it adds mqueue_mount() to spec.mounts.
extern const cli::Group options;

}  // namespace ipc
