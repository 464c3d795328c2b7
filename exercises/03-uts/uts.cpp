#include "uts.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cstring>

#include "error.hpp"
#include "explain.hpp"

namespace uts {

using error::check_syscall;

std::string check_hostname(std::string_view name) {
    if (name.empty()) return "the hostname is empty";
    if (name.size() > kMaxHostname)
        return fmt::format("the hostname is {} bytes long; the kernel allows at most {}",
                           name.size(), kMaxHostname);
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        if (!ok) return fmt::format("the hostname has a '{}': use letters, digits, '-' and '.'", c);
    }
    if (name.front() == '-' || name.front() == '.')
        return "the hostname must start with a letter or a digit";
    return "";
}

std::string generated_hostname() {
    unsigned short random = 0;
    // getrandom(2) cannot fail for 2 bytes once the pool is ready; fall
    // back to the pid if it somehow does.
    if (::getrandom(&random, sizeof random, 0) != sizeof random) random = ::getpid() & 0xffff;
    return fmt::format("unshared-{:04x}", random);
}

namespace {

// One of the two names, set as the kernel takes it: `length` bytes from `name`.
// --explain shows the bytes the call really sets: sethostname("web1", 4).
void set_name(int (*set)(const char*, size_t), std::string_view call_name, std::string_view command,
              const char* name, size_t length) {
    std::string_view bytes(name, ::strnlen(name, length));
    std::string call = fmt::format("{}(\"{}\", {})", call_name, bytes, length);
    explain::step({call, fmt::format("{} {}", command, explain::shell_quote(bytes)),
                   fmt::format("{}(2)", call_name)});
    check_syscall(set(name, length), call);
}

}  // namespace

void sethostname(const char* name, size_t length) {
    set_name(::sethostname, "sethostname", "hostname", name, length);
}

void setdomainname(const char* name, size_t length) {
    set_name(::setdomainname, "setdomainname", "domainname", name, length);
}

void set_hostname(const std::string& hostname) {
    // EXERCISE 03-uts: give the container the hostname it was asked for.
    // TOOLS: sethostname(name, length) above: sethostname(2), narrated and checked.
    // QUESTION: The child was cloned with CLONE_NEWUTS. What hostname does a new UTS
    //   namespace start with, before anyone sets one? (uts_namespaces(7))
    // QUESTION: What would the host's `hostname` print afterwards if CLONE_NEWUTS were
    //   missing from the clone?
    // YOUR CODE HERE; then check it, as root: exercises/check 03-uts
    throw error::NotImplemented("give the container the hostname it was asked for.");
    // END EXERCISE
}

void set_domainname(const std::string& domainname) {
    setdomainname(domainname.data(), domainname.size());
}

}  // namespace uts
