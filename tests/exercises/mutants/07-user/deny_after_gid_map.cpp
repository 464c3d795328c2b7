// Misunderstanding: "deny" locks setgroups once the groups are mapped, so it goes after gid_map.
switch (settings.writer) {
    case Writer::helper:
        run_helper("newgidmap", pid, settings.gids);
        run_helper("newuidmap", pid, settings.uids);
        return;
    case Writer::self:
    case Writer::runtime:
        write_proc_file(pid, "gid_map", map_text(settings.gids));
        if (settings.writer == Writer::self) write_proc_file(pid, "setgroups", "deny\n");
        write_proc_file(pid, "uid_map", map_text(settings.uids));
        return;
}
