// Mixes up POSIX shared memory and message queues: mounts the queues over /dev/shm.
return {"/dev/shm", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", mnt::Target::new_dir, "04-ipc"};
