// Thinks every kernel has every path of the lists: a kernel without /proc/timer_stats then starts no container.
for (std::string_view file : kMaskedFiles)
    table.push_back(
        {std::string(file), "/dev/null", "", MS_BIND, "", mnt::Target::mounted, "11-full"});
for (std::string_view dir : kMaskedDirectories)
    table.push_back({std::string(dir), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                     mnt::Target::mounted, "11-full"});
for (std::string_view path : kReadOnly)
    table.push_back({std::string(path), "", "", MS_BIND | MS_REC | MS_RDONLY, "",
                     mnt::Target::mounted, "11-full"});
