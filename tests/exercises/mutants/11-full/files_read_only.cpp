// Thinks read-only is enough for the masked files too: /proc/kcore or /proc/keys read-only is still read.
for (std::string_view file : kMaskedFiles)
    table.push_back({std::string(file), "", "", MS_BIND | MS_RDONLY, "", mnt::Target::if_present,
                     "11-full"});
for (std::string_view dir : kMaskedDirectories)
    table.push_back({std::string(dir), "tmpfs", "tmpfs", kNothingAllowed, "size=4k",
                     mnt::Target::if_present, "11-full"});
for (std::string_view path : kReadOnly)
    table.push_back({std::string(path), "", "", MS_BIND | MS_REC | MS_RDONLY, "",
                     mnt::Target::if_present, "11-full"});
