// Thinks pivot_root(2) alone takes the host's tree away: the old root stays mounted on top, at ".".
mount(nullptr, "/", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
mount(rootfs.c_str(), rootfs.string(), rootfs.string(), nullptr, MS_BIND | MS_REC, nullptr);
fd::Fd root = inroot::open_directory(rootfs.string());
mount_table(root, rootfs, mounts);
fchdir(root, rootfs);
pivot_root(".", ".");
change_root::chdir("/");
