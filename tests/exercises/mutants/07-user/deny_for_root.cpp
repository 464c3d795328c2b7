// Misunderstanding: "deny" is always safer, so root's containers get it too.
switch (settings.writer) {
    case Writer::helper:
        run_helper("newgidmap", pid, settings.gids);
        run_helper("newuidmap", pid, settings.uids);
        return;
    case Writer::self:
    case Writer::runtime:
        write_proc_file(pid, "setgroups", "deny\n");
        write_proc_file(pid, "gid_map", map_text(settings.gids));
        write_proc_file(pid, "uid_map", map_text(settings.uids));
        return;
}
