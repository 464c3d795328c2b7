#include "uts.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cstring>

#include "error.hpp"
#include "explain.hpp"
#include "say.hpp"
#include "spec.hpp"

namespace uts {

using error::check_syscall;

std::string check_hostname(std::string_view name, std::string_view what) {
    if (name.empty()) return fmt::format("the {} is empty", what);
    if (name.size() > kMaxHostname)
        return fmt::format("the {} is {} bytes long; the kernel allows at most {}", what,
                           name.size(), kMaxHostname);
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        if (!ok)
            return fmt::format("the {} has a '{}': use letters, digits, '-' and '.'", what,
                               say::one_line(std::string_view(&c, 1)));
    }
    if (name.front() == '-' || name.front() == '.')
        return fmt::format("the {} must start with a letter or a digit", what);
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

namespace {

void add_options(CLI::App& app, spec::Spec& spec) {
    // A callback, not a plain binding: `--hostname ''` is an error, not "no name given".
    app.add_option_function<std::string>(
           "--hostname",
           [&spec](const std::string& name) {
               if (name.empty()) throw error::UsageError("--hostname: the hostname is empty");
               spec.uts.hostname = name;
           },
           "The container's hostname (default: a generated one, unshared-XXXX).")
        ->type_name("NAME");
    app.add_option("--domainname", spec.uts.domainname,
                   "The container's NIS domain name, as `domainname` prints it.")
        ->capture_default_str()
        ->type_name("NAME");
}

void finish_options(spec::Spec& spec) {
    Names& names = spec.uts;
    if (names.hostname.empty()) names.hostname = generated_hostname();
    if (auto why = check_hostname(names.hostname); !why.empty())
        throw error::UsageError("--hostname: " + why);
    if (names.domainname != "(none)")
        if (auto why = check_hostname(names.domainname, "domain name"); !why.empty())
            throw error::UsageError("--domainname: " + why);
}

}  // namespace

const cli::Group options{"uts", add_options, finish_options};

}  // namespace uts
