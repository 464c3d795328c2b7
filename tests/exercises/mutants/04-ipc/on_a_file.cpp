// Thinks a mount point can be any kind of file: a filesystem is mounted on a directory.
return {"/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", mnt::Target::new_file, "04-ipc"};
