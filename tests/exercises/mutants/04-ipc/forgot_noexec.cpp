// Remembers nosuid and nodev but not noexec: programs could still be run from the queue filesystem.
return {"/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV, "", mnt::Target::new_dir, "04-ipc"};
