// Thinks CLONE_NEWUTS alone names the container: a new UTS namespace starts with a copy of the host's name.
