#include "explain.hpp"

#include <fmt/core.h>

#include "say.hpp"

namespace explain {
namespace {
bool g_enabled = false;
std::string g_program = "unshared";
}  // namespace

void enable(std::string_view program_name) {
    g_enabled = true;
    g_program = program_name;
}

bool enabled() {
    return g_enabled;
}

std::string format(std::string_view program_name, const Step& s) {
    // Pad the call so the shell equivalents line up in a column.
    std::string line = fmt::format("[{}] {:<40}", program_name, s.call);
    if (!s.shell.empty()) line += fmt::format("   # shell: {}", s.shell);
    if (!s.man.empty()) line += fmt::format("   # man: {}", s.man);
    return line;
}

void step(const Step& s) {
    // One write(2) per line on unbuffered stderr, so lines from the runtime
    // and from the container's child come out in the order the steps happen.
    if (g_enabled) say::line(format(g_program, s));
}

void note(std::string_view text) {
    if (g_enabled) say::line(fmt::format("[{}] # {}", g_program, text));
}

std::string shell_quote(std::string_view word) {
    bool plain = !word.empty();
    for (char c : word) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("/._-+=:,@%").find(c) != std::string_view::npos;
        plain = plain && safe;
    }
    if (plain) return std::string(word);
    std::string quoted = "'";
    for (char c : word) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

}  // namespace explain
