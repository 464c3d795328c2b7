// datum_a is what the masked argument must equal, datum_b the mask: value and valueTwo swapped.
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
                tests.push_back({arg.index, scmp_op(arg.op), arg.value_two, arg.value});
            add_rule(filter, counts, resolved, rule, name, *number, tests);
        }
    }
}
return filter;
