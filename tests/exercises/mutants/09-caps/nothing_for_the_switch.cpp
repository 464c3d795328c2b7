// Forgets that the switch to --user comes after the drop: with --cap-drop ALL, setgroups(2) then has no CAP_SETGID left and fails.
    drop_bounding(keep);
    clear_ambient();
    set_process_sets(keep);
