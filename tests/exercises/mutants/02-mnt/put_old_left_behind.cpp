// Follows the old pivot_root(8) recipe with a put_old directory, and leaves that directory in the user's rootfs.
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
::mkdir("old-root", 0700);
pivot_root(".", "old-root");
unmount("/old-root", MNT_DETACH);
change_root::chdir("/");
