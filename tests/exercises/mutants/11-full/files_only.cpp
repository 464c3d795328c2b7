// Thinks the dangerous part of /proc is a handful of files: the read-only paths are left writable and the directories shown.
for (std::string_view file : kMaskedFiles)
    table.push_back(
        {std::string(file), "/dev/null", "", MS_BIND, "", mnt::Target::if_present, "11-full"});
