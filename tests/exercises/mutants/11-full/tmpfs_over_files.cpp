// Thinks an empty tmpfs masks anything, a file as well as a directory: a filesystem is mounted on a directory only.
for (std::string_view file : kMaskedFiles)
    table.push_back({std::string(file), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                     mnt::Target::if_present, "11-full"});
for (std::string_view dir : kMaskedDirectories)
    table.push_back({std::string(dir), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                     mnt::Target::if_present, "11-full"});
for (std::string_view path : kReadOnly)
    table.push_back({std::string(path), "", "", MS_BIND | MS_REC | MS_RDONLY, "",
                     mnt::Target::if_present, "11-full"});
