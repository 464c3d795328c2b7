// A filter decides calls, not arguments: each rule is added for its call, its tests left out.
Filter filter = new_filter(resolved.default_action);
set_attributes(filter.context(), resolved.flags);
for (const std::string& arch : resolved.architectures) add_architecture(filter, resolved, arch);
for (const Rule& rule : resolved.rules) {
    for (const std::string& name : rule.names) {
        std::optional<int> number = syscall_number(filter, name);
        if (!number) continue;
        add_rule(filter, counts, resolved, rule, name, *number, {});  // the call, whatever its arguments
    }
}
return filter;
