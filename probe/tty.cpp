// probe tiocsti TEXT: the TIOCSTI attack (bubblewrap's CVE-2017-5226).
//
// Pushes TEXT, byte by byte, into the input queue of every terminal among
// fds 0-2 (ioctl_tty(2) TIOCSTI), as if it had been typed. If one of them is
// the caller's terminal, the caller's shell reads TEXT once the container
// exits and runs it. The test gives the runtime a terminal of its own
// making and looks at what lands in its input queue: nothing reaches a real
// shell. Prints which fds took it: "tiocsti=0,1" or "tiocsti=none".
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "probe.hpp"

namespace probe {

int tiocsti(const Args& args) {
    std::string text = args.empty() ? "echo INJECTED\n" : args[0] + "\n";
    std::string took;
    for (int fd = 0; fd <= 2; ++fd) {
        if (!isatty(fd)) continue;
        bool ok = true;
        for (char c : text) ok = ok && ioctl(fd, TIOCSTI, &c) == 0;
        if (ok) took += (took.empty() ? "" : ",") + std::to_string(fd);
    }
    std::printf("tiocsti=%s\n", took.empty() ? "none" : took.c_str());
    return 0;
}

}  // namespace probe
