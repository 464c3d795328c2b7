// Goes to "/" first, while "/" is still the host's: the command then starts in the host's root.
chdir("/");
chroot(rootfs);
