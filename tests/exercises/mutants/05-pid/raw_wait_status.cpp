// Returns what waitpid gave: a wait status (exit 7 is 0x700), not the exit status a shell shows.
pid_t command_pid = process::start_command(command);
process::report_running();
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    for (pid_t ended; (ended = waitpid(-1, &status, WNOHANG)) > 0;)
        if (ended == command_pid) return status;
}
