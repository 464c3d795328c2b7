// Keeps CAP_SETUID and CAP_SETGID for the switch in the bounding set too: the kernel empties permitted at the switch, but the bounding set still holds them for any later setuid program.
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    drop_bounding(keep | until_switch);
    clear_ambient();
    set_process_sets(keep | until_switch);
