#include "seccomp_cache.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fd.hpp"
#include "sha256.hpp"

namespace seccomp::cache {

namespace {

// The NT_GNU_BUILD_ID note of the first object dl_iterate_phdr(3) reports:
// the program itself (also in a static binary, where it is the only one).
int find_build_id(dl_phdr_info* info, size_t, void* out) {
    auto& id = *static_cast<std::string*>(out);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
        if (phdr.p_type != PT_NOTE) continue;
        const auto* at = reinterpret_cast<const unsigned char*>(info->dlpi_addr + phdr.p_vaddr);
        const unsigned char* end = at + phdr.p_memsz;
        // Each note: a header, its name and its description, each padded to 4 bytes.
        while (at + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
            const unsigned char* name = at + sizeof(ElfW(Nhdr));
            const unsigned char* desc = name + ((note->n_namesz + 3) & ~3U);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                std::memcmp(name, "GNU", 4) == 0 && desc + note->n_descsz <= end) {
                for (unsigned b = 0; b < note->n_descsz; ++b) id += fmt::format("{:02x}", desc[b]);
                return 1;
            }
            at = desc + ((note->n_descsz + 3) & ~3U);
        }
    }
    return 1;  // only the first object: the program
}

// One field of the key: its length, then its bytes.
void field(sha256::Hasher& hasher, std::string_view bytes) {
    std::string length = fmt::format("{}:", bytes.size());
    hasher.update(length);
    hasher.update(bytes);
}

}  // namespace

std::string build_id() {
    static const std::string id = [] {
        std::string found;
        ::dl_iterate_phdr(find_build_id, &found);
        return found;
    }();
    return id;
}

Inputs inputs_here(std::string_view profile, const Target& target) {
    const scmp_version* v = seccomp_version();
    return {profile, target, fmt::format("{}.{}.{}", v->major, v->minor, v->micro), build_id()};
}

std::string key_of(const Inputs& inputs) {
    sha256::Hasher hasher;
    field(hasher, kFormat);
    field(hasher, inputs.build);
    field(hasher, inputs.libseccomp);
    field(hasher, inputs.target.arch);
    field(hasher, fmt::format("{}.{}", inputs.target.kernel.major, inputs.target.kernel.minor));
    field(hasher, fmt::format("{}", fmt::join(inputs.target.capabilities, ",")));
    field(hasher, fmt::format("{}", fmt::join(inputs.target.absent, ",")));
    field(hasher, inputs.profile);
    return sha256::hex(hasher.digest());
}

std::string file_name(const std::string& key) {
    return key + ".bpf";
}

Found read(int dir, const std::string& name) {
    int raw = ::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (raw < 0) return {{}, errno == ENOENT ? "" : fmt::format("open: {}", std::strerror(errno))};
    fd::Fd file{raw};
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return {{}, fmt::format("fstat: {}", std::strerror(errno))};
    if (!S_ISREG(st.st_mode)) return {{}, "not a regular file"};
    // Whoever may write it chooses every later container's filter.
    if (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0)
        return {{},
                fmt::format("owner {} and mode {:o}: it must be uid {}'s, writable by it alone",
                            st.st_uid, st.st_mode & 07777, ::geteuid())};
    auto size = static_cast<size_t>(st.st_size);
    if (size == 0 || size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS)
        return {{},
                fmt::format("{} bytes: not 1 to {} instructions of {} bytes", size, BPF_MAXINSNS,
                            sizeof(sock_filter))};
    Program program(size / sizeof(sock_filter));
    auto* bytes = reinterpret_cast<char*>(program.data());
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(file.get(), bytes + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return {{}, "shorter than it said"};
        done += static_cast<size_t>(n);
    }
    return {std::move(program), ""};
}

void write(int dir, const std::string& name, const Program& program) {
    std::string temporary = fmt::format(".{}.{}", name, ::getpid());
    fd::Fd file{
        error::check_syscall(::openat(dir, temporary.c_str(),
                                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600),
                             fmt::format("open(\"{}\", O_CREAT|O_EXCL)", temporary))};
    const auto* bytes = reinterpret_cast<const char*>(program.data());
    size_t size = program.size() * sizeof(sock_filter);
    size_t done = 0;
    try {
        while (done < size) {
            ssize_t n = ::write(file.get(), bytes + done, size - done);
            if (n < 0 && errno == EINTR) continue;
            error::check_syscall(n, fmt::format("write(\"{}\")", temporary));
            done += static_cast<size_t>(n);
        }
        // renameat(2) replaces `name` in one step: a reader opens the old file or the new one.
        error::check_syscall(::renameat(dir, temporary.c_str(), dir, name.c_str()),
                             fmt::format("rename(\"{}\", \"{}\")", temporary, name));
    } catch (...) {
        ::unlinkat(dir, temporary.c_str(), 0);
        throw;
    }
}

}  // namespace seccomp::cache
