#include "fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "error.hpp"

namespace fd {

Pipe make_pipe() {
    int ends[2];
    error::check_syscall(::pipe2(ends, O_CLOEXEC), "pipe2(O_CLOEXEC)");
    return Pipe{Fd{ends[0]}, Fd{ends[1]}};
}

}  // namespace fd
