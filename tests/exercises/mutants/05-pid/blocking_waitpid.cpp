// Reaps in a loop, but without WNOHANG: once the ended children are reaped, waitpid blocks, and init stops passing signals on.
pid_t command_pid = process::start_command(command);
process::report_running();
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    for (pid_t ended; (ended = waitpid(-1, &status, 0)) > 0;)
        if (ended == command_pid) return process::exit_status_of(status);
}
