// Unmounts the old root without MNT_DETACH: it is busy (it holds our own root), so umount2(2) refuses.
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
unmount(".", 0);
change_root::chdir("/");
