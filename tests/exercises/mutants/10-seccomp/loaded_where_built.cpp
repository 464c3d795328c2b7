// The filter is loaded where it is built: in the runtime, before the child has its namespaces, dropped capabilities and no_new_privs.
Filter filter = new_filter(resolved.default_action);
set_attributes(filter.context(), resolved.flags);
for (const std::string& arch : resolved.architectures) add_architecture(filter, resolved, arch);
for (const Rule& rule : resolved.rules) {
    for (const std::string& name : rule.names) {
        std::optional<int> number = syscall_number(filter, name);
        if (!number) continue;
        for (const std::vector<ArgCheck>& group : alternatives(rule)) {
            std::vector<scmp_arg_cmp> tests;
            for (const ArgCheck& arg : group)
                tests.push_back({arg.index, scmp_op(arg.op), arg.value, arg.value_two});
            add_rule(filter, counts, resolved, rule, name, *number, tests);
        }
    }
}
check_negative_errno(seccomp_load(filter.context()), "seccomp_load()");
return filter;
