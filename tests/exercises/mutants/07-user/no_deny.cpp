// Misunderstanding: setgroups is the child's business; the maps alone make a user namespace.
switch (settings.writer) {
    case Writer::helper:
        run_helper("newgidmap", pid, settings.gids);
        run_helper("newuidmap", pid, settings.uids);
        return;
    case Writer::self:
    case Writer::runtime:
        write_proc_file(pid, "gid_map", map_text(settings.gids));
        write_proc_file(pid, "uid_map", map_text(settings.uids));
        return;
}
