// Thinks inheritable and ambient only matter for programs with file capabilities: drops the bounding set and sets permitted and effective, but keeps the inheritable set it had, and its ambient capabilities with it.
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    drop_bounding(keep);
    capset_self({keep | until_switch, keep | until_switch, capget_self().inheritable},
                "capset(inheritable kept)");
