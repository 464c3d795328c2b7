// Thinks each ended child brings its own SIGCHLD: one waitpid per signal, but signals do not queue.
pid_t command_pid = process::start_command(command);
process::report_running();
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    pid_t ended = waitpid(-1, &status, WNOHANG);
    if (ended == command_pid) return process::exit_status_of(status);
}
