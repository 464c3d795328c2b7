// Misunderstanding: mapping root is enough: one id, the container's 0, to the first outside id.
auto only_root = [](const Map& map) {
    return fmt::format("0 {} 1\n", map.front().outside);
};
switch (settings.writer) {
    case Writer::helper:
        run_helper("newgidmap", pid, settings.gids);
        run_helper("newuidmap", pid, settings.uids);
        return;
    case Writer::self:
        write_proc_file(pid, "setgroups", "deny\n");
        [[fallthrough]];
    case Writer::runtime:
        write_proc_file(pid, "gid_map", only_root(settings.gids));
        write_proc_file(pid, "uid_map", only_root(settings.uids));
        return;
}
