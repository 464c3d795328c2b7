// Keeps room for a NUL as in a char[HOST_NAME_MAX] buffer: a 64-byte name loses its last byte.
std::string name = hostname.substr(0, 63);
sethostname(name.data(), name.size());
