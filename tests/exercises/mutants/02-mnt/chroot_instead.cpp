// Thinks a mount namespace makes chroot(2) safe: the host's tree stays mounted above the new root, and the escape climbs back to it.
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
change_root::chroot(".");
change_root::chdir("/");
