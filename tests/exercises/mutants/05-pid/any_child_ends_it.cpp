// Thinks the only child that can end is the command: the first orphan that ends ends the container.
pid_t command_pid = process::start_command(command);
process::report_running();
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    if (waitpid(-1, &status, WNOHANG) > 0) return process::exit_status_of(status);
}
