// Thinks moving into the rootfs is enough: without chroot(2), "/" is still the host's.
chdir(rootfs);
