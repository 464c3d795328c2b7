// uts.hpp: chapter 03, a hostname of the container's own.
//
// The UTS namespace (uts_namespaces(7), Linux 2.6.19) holds the two strings
// uname(2) reports that a process may change: the hostname and the NIS
// domain name. In a new one, sethostname(2) changes the container's copy
// only. ("UTS" is the "UNIX Time-sharing System" of struct utsname.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "options.hpp"

namespace uts {

// HOST_NAME_MAX on Linux: the kernel refuses longer names with EINVAL.
inline constexpr size_t kMaxHostname = 64;

// The container's names, as uname(2) reports them (spec.uts).
struct Names {
    std::string hostname;               // never empty once the options are done
    std::string domainname = "(none)";  // the kernel's own default
};

// The option group: --hostname NAME, --domainname NAME.
extern const cli::Group options;

// Empty if `name` is a good hostname (1-64 bytes of letters, digits, '-' and
// '.'; RFC 1123), else the reason it is not. `what` names it in the reason.
std::string check_hostname(std::string_view name, std::string_view what = "hostname");

// A short name for a container that was given none: "unshared-3fa2".
std::string generated_hostname();

// The container's names, in the calling process's UTS namespace.
void set_hostname(const std::string& hostname);
void set_domainname(const std::string& domainname);

// sethostname(2) and setdomainname(2) as the kernel takes them: `length`
// bytes from `name`. Each is printed by --explain as it happens (with the
// bytes it sets) and checked: a failure names the call.
void sethostname(const char* name, size_t length);
void setdomainname(const char* name, size_t length);

}  // namespace uts
