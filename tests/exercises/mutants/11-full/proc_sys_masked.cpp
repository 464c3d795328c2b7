// Thinks /proc/sys is dangerous to read as well as to write, and hides it: the container loses its own sysctls too.
for (std::string_view file : kMaskedFiles)
    table.push_back(
        {std::string(file), "/dev/null", "", MS_BIND, "", mnt::Target::if_present, "11-full"});
for (std::string_view dir : kMaskedDirectories)
    table.push_back({std::string(dir), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                     mnt::Target::if_present, "11-full"});
table.push_back({"/proc/sys", "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                 mnt::Target::if_present, "11-full"});
for (std::string_view path : kReadOnly)
    if (path != "/proc/sys")
        table.push_back({std::string(path), "", "", MS_BIND | MS_REC | MS_RDONLY, "",
                         mnt::Target::if_present, "11-full"});
