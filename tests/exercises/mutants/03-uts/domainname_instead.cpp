// Mixes up the two names a UTS namespace holds: sets the NIS domain name, not the hostname.
setdomainname(hostname.data(), hostname.size());
