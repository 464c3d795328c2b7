// Thinks the capabilities are effective and permitted: empties those two with capset(2), leaves the bounding set full, which root's next execve(2) copies back.
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    clear_ambient();
    set_process_sets(keep | until_switch);
