// Thinks the kernel needs the terminating NUL, as C strings do: a 64-byte name is one byte too long.
sethostname(hostname.c_str(), hostname.size() + 1);
