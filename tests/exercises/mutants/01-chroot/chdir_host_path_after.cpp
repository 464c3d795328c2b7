// Forgets that after chroot(2) an absolute path is resolved inside the new root: the rootfs's host path no longer exists.
chroot(rootfs);
chdir(rootfs);
