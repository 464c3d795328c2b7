// fd.hpp: a file descriptor that closes itself.
//
// Move-only: exactly one owner closes it, exactly once. Every fd in the
// toolkit is opened with O_CLOEXEC (or the call's *_CLOEXEC flag) so that
// nothing of the runtime leaks into the container's command on execve(2).
#pragma once

#include <unistd.h>

#include <utility>

namespace fd {

class Fd {
  public:
    Fd() = default;
    explicit Fd(int raw) : raw_(raw) {}
    Fd(Fd&& other) noexcept : raw_(std::exchange(other.raw_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            raw_ = std::exchange(other.raw_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return raw_; }
    bool valid() const { return raw_ >= 0; }
    explicit operator bool() const { return valid(); }

    // Gives up ownership without closing.
    int release() { return std::exchange(raw_, -1); }

    // close(2): errors are ignored on purpose; after close() the fd is gone
    // whatever it returns, and retrying could close someone else's fd.
    void reset() {
        if (raw_ >= 0) ::close(raw_);
        raw_ = -1;
    }

  private:
    int raw_ = -1;
};

// A pipe(2) with both ends owned; read end first, as pipe2() fills them.
struct Pipe {
    Fd read;
    Fd write;
};

// pipe2(2) with O_CLOEXEC.
Pipe make_pipe();

}  // namespace fd
