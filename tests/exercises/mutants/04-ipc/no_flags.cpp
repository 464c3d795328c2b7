// Mounts it with no flags: set-user-ID bits, device files and execution stay allowed on a filesystem meant for none of them.
return {"/dev/mqueue", "mqueue", "mqueue", 0, "", mnt::Target::new_dir, "04-ipc"};
