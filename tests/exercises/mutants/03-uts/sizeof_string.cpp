// Takes sizeof for the length, as with a char array: sizeof a std::string is the object's size, not the name's.
sethostname(hostname.c_str(), sizeof(hostname));
