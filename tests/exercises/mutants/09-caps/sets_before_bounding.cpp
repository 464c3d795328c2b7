// Does the process sets first, then the bounding set: with --cap-drop ALL, CAP_SETPCAP is gone by then and PR_CAPBSET_DROP fails with EPERM.
    Mask until_switch = settings.user ? (bit(CAP_SETUID) | bit(CAP_SETGID)) & held & ~keep : 0;
    set_process_sets(keep | until_switch);
    clear_ambient();
    drop_bounding(keep);
