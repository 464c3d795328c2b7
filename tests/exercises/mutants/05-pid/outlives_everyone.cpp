// Thinks PID 1 must outlive every process: it waits until no child is left, so a background process keeps the container up.
pid_t command_pid = process::start_command(command);
process::report_running();
int command_status = 0;
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    pid_t ended;
    while ((ended = waitpid(-1, &status, WNOHANG)) > 0)
        if (ended == command_pid) command_status = status;
    if (ended < 0) return process::exit_status_of(command_status);
}
