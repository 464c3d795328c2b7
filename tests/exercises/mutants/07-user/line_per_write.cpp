// Misunderstanding: a map file is like any file: write it line by line, as `echo` would.
switch (settings.writer) {
    case Writer::helper:
        run_helper("newgidmap", pid, settings.gids);
        run_helper("newuidmap", pid, settings.uids);
        return;
    case Writer::self:
        write_proc_file(pid, "setgroups", "deny\n");
        [[fallthrough]];
    case Writer::runtime:
        for (const Range& r : settings.gids) write_proc_file(pid, "gid_map", map_text({r}));
        for (const Range& r : settings.uids) write_proc_file(pid, "uid_map", map_text({r}));
        return;
}
