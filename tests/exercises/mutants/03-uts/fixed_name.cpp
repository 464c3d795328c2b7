// Sets a hostname, but not the one asked for: tried by hand with one name and never passed the argument on.
sethostname("container", 9);
