// Skips the propagation change: the copied "/" is still shared with the host, so the bind shows up there and pivot_root(2) refuses.
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
unmount(".", MNT_DETACH);
change_root::chdir("/");
