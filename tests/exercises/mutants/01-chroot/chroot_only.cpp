// Thinks chroot(2) also moves the process into its new root: the working directory stays on the host.
chroot(rootfs);
