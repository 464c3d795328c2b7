// The native architecture is enough: 32-bit programs are not the filter's business.
Filter filter = new_filter(resolved.default_action);
set_attributes(filter.context(), resolved.flags);
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
return filter;
