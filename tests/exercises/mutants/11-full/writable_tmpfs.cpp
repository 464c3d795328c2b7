// Thinks an empty directory hides all there is: the masked directories take whatever the container writes there.
for (std::string_view file : kMaskedFiles)
    table.push_back(
        {std::string(file), "/dev/null", "", MS_BIND, "", mnt::Target::if_present, "11-full"});
for (std::string_view dir : kMaskedDirectories)
    table.push_back({std::string(dir), "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "size=4k", mnt::Target::if_present, "11-full"});
for (std::string_view path : kReadOnly)
    table.push_back({std::string(path), "", "", MS_BIND | MS_REC | MS_RDONLY, "",
                     mnt::Target::if_present, "11-full"});
