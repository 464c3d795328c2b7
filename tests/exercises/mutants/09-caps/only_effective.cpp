// Thinks effective is what the kernel checks, so it is enough: lowers effective only, with permitted, inheritable and the bounding set as they were.
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    RawSets now_raw = capget_self();
    capset_self({keep | until_switch, now_raw.permitted, now_raw.inheritable},
                "capset(effective only)");
