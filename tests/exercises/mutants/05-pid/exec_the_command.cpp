// Thinks init's job is done once the command starts: it becomes the command, which is then PID 1 and reaps nothing.
process::exec(command);
