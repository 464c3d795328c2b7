// Thinks any directory can be the new root: pivot_root(2) wants a mount point, and a plain directory is not one.
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
unmount(".", MNT_DETACH);
change_root::chdir("/");
