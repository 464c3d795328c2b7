// Thinks size() counts a terminating NUL that must not be sent: the name loses its last letter.
sethostname(hostname.data(), hostname.size() - 1);
