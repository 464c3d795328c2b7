// Thinks the rootfs must provide /dev/mqueue: /dev is the runtime's own fresh tmpfs, and the rootfs has no such directory.
return {"/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", mnt::Target::in_rootfs, "04-ipc"};
