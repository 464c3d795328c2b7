// Thinks init has only one child to wait for, the command: orphans re-parented to it stay zombies.
pid_t command_pid = process::start_command(command);
process::report_running();
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    if (waitpid(command_pid, &status, WNOHANG) == command_pid)
        return process::exit_status_of(status);
}
