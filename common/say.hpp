// say.hpp: how the runtime writes a line on stderr.
//
// A runtime's messages must never be the reason it fails. stderr may be
// closed (`2>&-`), full (`2>/dev/full`), a pipe nobody reads, or a terminal
// stopped with ^S; a value the user typed may hold a newline or bytes that
// are not UTF-8. So every line goes through here:
//   - it is made one line: control characters and invalid UTF-8 are escaped
//     (`\n`, `\x1b`), so a message is always exactly one line;
//   - it is written with write(2), after poll(2) says stderr can take it
//     within a short time; otherwise it is dropped. Never an exception,
//     never a SIGPIPE (the runtime ignores SIGPIPE), never a long block.
#pragma once

#include <string>
#include <string_view>

namespace say {

// `text` with every control character and invalid UTF-8 byte escaped.
std::string one_line(std::string_view text);

// Writes `line` (made one line) and a newline on fd 2, best effort.
void line(std::string_view line);

// line("<program>: <text>"), the form of every error message.
void error(std::string_view program, std::string_view text);

// Writes raw bytes on `fd`, best effort, waiting at most `timeout_ms` for room.
void write_best_effort(int fd, std::string_view bytes, int timeout_ms);

}  // namespace say
