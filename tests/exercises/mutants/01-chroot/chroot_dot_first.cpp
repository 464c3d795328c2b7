// Forgets that "." is wherever the runtime was started: the root becomes that host directory.
chroot(".");
chdir("/");
