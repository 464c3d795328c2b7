// Misunderstanding: --cpus is a share of a second: the quota is cpus x 1000000 us, and the period need not be written.
const FileNames& files = files_of(version);
if (limits.memory) {
    writes.push_back({"memory", std::string(files.memory), std::to_string(*limits.memory)});
    // Docker: no --memory-swap means as much swap as memory again.
    uint64_t total = limits.memory_swap.value_or(2 * *limits.memory);
    if (limits.memory_swap && !swap_file)
        throw error::UsageError(fmt::format(
            "--memory-swap: this kernel cannot limit swap (no {}: swap accounting is off)",
            files.swap));
    if (swap_file) {
        std::string value = total == kUnlimited      ? (version == Version::v2 ? "max" : "-1")
                            : version == Version::v2 ? std::to_string(total - *limits.memory)
                                                     : std::to_string(total);
        writes.push_back({"memory", std::string(files.swap), value});
    }
}
if (limits.cpus) {
    auto quota = static_cast<uint64_t>(*limits.cpus * 1000000);
    writes.push_back({"cpu", std::string(files.cpu), std::to_string(quota)});
}
if (limits.pids)
    writes.push_back({"pids", std::string(files.pids), std::to_string(*limits.pids)});
