// Makes "/" private but not the mounts under it: they stay peers of the host's, and detaching the old root unmounts them on the host.
mount(nullptr, "/", "/", nullptr, MS_PRIVATE, nullptr);
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
unmount(".", MNT_DETACH);
change_root::chdir("/");
