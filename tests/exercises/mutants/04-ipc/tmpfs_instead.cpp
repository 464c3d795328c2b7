// Thinks any filesystem at /dev/mqueue will do: a tmpfs there stays empty, the queues live in the mqueue filesystem.
return {"/dev/mqueue", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", mnt::Target::new_dir, "04-ipc"};
