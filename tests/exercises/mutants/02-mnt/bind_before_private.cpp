// Cuts propagation too late: the bind mount made while "/" was still shared has already appeared on the host.
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
unmount(".", MNT_DETACH);
change_root::chdir("/");
