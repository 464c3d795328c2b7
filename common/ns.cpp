#include "ns.hpp"

namespace ns {

Set::Set(std::initializer_list<Namespace> namespaces) {
    for (const Namespace& n : namespaces) add(n);
}

Set& Set::add(const Namespace& n) {
    flags_ |= n.clone_flag;
    return *this;
}

Set& Set::remove(const Namespace& n) {
    flags_ &= ~n.clone_flag;
    return *this;
}

std::string Set::flag_names() const {
    std::string names;
    for (const Namespace* n : kAll) {
        if (!has(*n)) continue;
        if (!names.empty()) names += '|';
        names += n->flag_name;
    }
    return names.empty() ? "0" : names;
}

std::string Set::unshare_command() const {
    std::string command = "unshare";
    for (const Namespace* n : kAll) {
        if (!has(*n)) continue;
        command += ' ';
        command += n->unshare_option;
    }
    return command;
}

}  // namespace ns
