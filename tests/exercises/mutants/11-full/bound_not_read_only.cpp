// Thinks binding a path onto itself is enough to protect it: the bind mount is as writable as what it binds.
for (std::string_view file : kMaskedFiles)
    table.push_back(
        {std::string(file), "/dev/null", "", MS_BIND, "", mnt::Target::if_present, "11-full"});
for (std::string_view dir : kMaskedDirectories)
    table.push_back({std::string(dir), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                     mnt::Target::if_present, "11-full"});
for (std::string_view path : kReadOnly)
    table.push_back({std::string(path), "", "", MS_BIND | MS_REC, "", mnt::Target::if_present,
                     "11-full"});
