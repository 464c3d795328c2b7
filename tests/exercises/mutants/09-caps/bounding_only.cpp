// Thinks the bounding set is the whole drop: leaves inheritable and ambient, which a careless parent filled, to pass through every execve(2).
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    (void)until_switch;
    drop_bounding(keep);
