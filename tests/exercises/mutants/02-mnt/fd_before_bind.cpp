// Opens the rootfs before binding it: the fd is the directory under the new mount, not the mount's root.
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
unmount(".", MNT_DETACH);
change_root::chdir("/");
