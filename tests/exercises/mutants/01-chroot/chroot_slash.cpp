// Thinks chroot("/") makes the current directory the root: "/" names the host's root, unchanged.
chdir(rootfs);
chroot("/");
