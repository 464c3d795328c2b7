// explain.hpp: --explain, the narrator of a live demo.
//
// With --explain, every step prints one line on stderr *before* it runs:
//   [03-uts] sethostname("web1")   # shell: hostname web1   # man: sethostname(2)
// so an instructor can show what the runtime does, and the shell command a
// learner could type to do the same by hand (unshare, mount, hostname, ...).
#pragma once

#include <string>
#include <string_view>

namespace explain {

struct Step {
    std::string call;   // the system call as the code makes it
    std::string shell;  // the equivalent shell command
    std::string man;    // where to read more, e.g. "chroot(2)"
};

// Turns narration on or off for this process (and the children it clones).
void enable(std::string_view program_name);
bool enabled();

// Formats a step the way it is printed (without the trailing newline).
std::string format(std::string_view program_name, const Step& step);

// Prints the step on stderr if narration is on.
void step(const Step& step);

// Prints a free-form note ("# ...") if narration is on.
void note(std::string_view text);

// Quotes a word for the shell equivalents when it needs quoting.
std::string shell_quote(std::string_view word);

}  // namespace explain
