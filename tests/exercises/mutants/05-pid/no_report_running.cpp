// Forgets that an init never execs: the runtime goes on waiting for the end of the set-up.
pid_t command_pid = process::start_command(command);
for (;;) {
    siginfo_t info = next_signal();
    if (info.si_signo != SIGCHLD) {
        if (info.si_code != SI_KERNEL) kill(command_pid, info.si_signo);
        continue;
    }
    int status = 0;
    for (pid_t ended; (ended = waitpid(-1, &status, WNOHANG)) > 0;)
        if (ended == command_pid) return process::exit_status_of(status);
}
