// Thinks the kernel delivers the runtime's SIGTERM to the command itself: init waits only for SIGCHLD.
pid_t command_pid = process::start_command(command);
process::report_running();
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) continue;
    int status = 0;
    for (pid_t ended; (ended = waitpid(-1, &status, WNOHANG)) > 0;)
        if (ended == command_pid) return process::exit_status_of(status);
}
