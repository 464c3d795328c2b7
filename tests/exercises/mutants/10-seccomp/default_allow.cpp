// A denylist: everything is allowed by default, and only the profile's refusals are rules.
Filter filter = new_filter(Action{ActionKind::allow});
set_attributes(filter.context(), resolved.flags);
for (const std::string& arch : resolved.architectures) add_architecture(filter, resolved, arch);
for (const Rule& rule : resolved.rules) {
    if (rule.action.kind == ActionKind::allow) continue;  // allowed anyway
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
