#include "ns.hpp"

namespace ns {
int clone_flags(Set namespaces) {
    int flags = 0;
    for (const Namespace& n : namespaces) flags |= n.clone_flag;
    return flags;
}

std::string flag_names(Set namespaces) {
    std::string names;
    for (const Namespace& n : namespaces) {
        if (!names.empty()) names += '|';
        names += n.flag_name;
    }
    return names.empty() ? "0" : names;
}

std::string unshare_command(Set namespaces) {
    std::string command = "unshare";
    for (const Namespace& n : namespaces) {
        command += ' ';
        command += n.unshare_option;
    }
    return command;
}

}  // namespace ns
