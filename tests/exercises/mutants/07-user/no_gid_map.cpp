// Misunderstanding: uid_map is the map; groups follow the users.
switch (settings.writer) {
    case Writer::helper:
        run_helper("newuidmap", pid, settings.uids);
        return;
    case Writer::self:
        write_proc_file(pid, "setgroups", "deny\n");
        [[fallthrough]];
    case Writer::runtime:
        write_proc_file(pid, "uid_map", map_text(settings.uids));
        return;
}
