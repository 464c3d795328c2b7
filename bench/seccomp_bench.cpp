// seccomp_bench: what chapter 10's filter costs (run by bench/seccomp).
//
// Two prices: building and loading the filter once per container, and
// running it on every system call the container makes. Each measurement
// runs in a forked child that sets no_new_privs and loads the filter (as
// chapter 10's child does), so the benchmark itself stays unfiltered. Times
// are CPU time of the measuring thread (user + kernel), so that other work
// on a shared machine does not count, and the rounds interleave the
// profiles. It prints a Markdown table of medians. A benchmark, never a
// test: it passes or fails nothing.
//
// Two calls are timed, because the kernel does not always run the filter:
// since Linux 5.11 it remembers, per architecture, the calls a filter
// allows whatever their arguments, and lets them through without running
// it (the "action cache", SECCOMP_CACHE_DEBUG). getppid(2) is such a call
// under every profile here; personality(0xffffffff), a query allowed only
// for that argument value, makes the kernel run the BPF program each time.
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/caps.hpp"
#include "common/seccomp.hpp"

namespace {

// Docker's 14 capabilities, the container's final set (chapter 09's table).
const seccomp::Capabilities kDocker = seccomp::capabilities_of(caps::docker_default());
const char* kPodmanProfile = "/usr/share/containers/seccomp.json";

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// The CPU time this thread has used, in microseconds (clock_gettime(2)).
double cpu_micros() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// Runs `measure` in a forked child (after `prepare`) and returns the number it sends back.
double in_child(const std::function<void()>& prepare, const std::function<double()>& measure) {
    int out[2];
    if (::pipe(out) != 0) std::exit(1);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(out[0]);
        prepare();
        double value = measure();
        (void)!::write(out[1], &value, sizeof value);
        ::_exit(0);
    }
    ::close(out[1]);
    double value = -1;
    if (::read(out[0], &value, sizeof value) != sizeof value) value = -1;
    ::close(out[0]);
    ::waitpid(pid, nullptr, 0);
    return value;
}

void no_new_privs() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) std::exit(1);
}

// The filter of `profile` for Docker's capabilities here; `tree`: the
// binary-tree optimisation (SCMP_FLTATR_CTL_OPTIMIZE 2, else 1); `native`:
// x86-64 only, without the x86 and x32 sub-architectures of the archMap.
seccomp::Filter build(const seccomp::Profile& profile, bool tree, bool native = false) {
    seccomp::Resolved resolved = seccomp::resolve(profile, seccomp::this_machine(kDocker));
    if (native) resolved.architectures.clear();
    seccomp::Filter filter = seccomp::build(resolved);
    if (!tree) {
        seccomp_attr_set(filter.context(), SCMP_FLTATR_CTL_OPTIMIZE, 1);
        seccomp::compile(filter);  // the program again, without the tree
    }
    return filter;
}

struct Profile {
    std::string name;
    std::function<seccomp::Filter()> build;  // empty: no filter
};

// Nanoseconds of CPU per call of `number(arg)`, in a child under `profile`.
double per_call(const Profile& profile, long number, unsigned long arg, long iterations) {
    seccomp::Filter filter = profile.build ? profile.build() : seccomp::Filter{};
    return in_child(
        [&] {
            no_new_privs();
            seccomp::load(filter);
        },
        [&] {
            double start = cpu_micros();
            for (long i = 0; i < iterations; ++i) ::syscall(number, arg);
            return (cpu_micros() - start) * 1000.0 / static_cast<double>(iterations);
        });
}

// Microseconds of CPU for libseccomp to write `profile`'s BPF program from
// its rules (seccomp_export_bpf(3), what seccomp_load(3) does first).
double generate_time(const Profile& profile) {
    seccomp::Filter filter = profile.build();
    double start = cpu_micros();
    seccomp::compile(filter);
    return cpu_micros() - start;
}

// Microseconds of CPU to load `profile`'s program: seccomp(2), where the
// kernel checks and installs it (all that seccomp::load does).
double load_time(const Profile& profile) {
    seccomp::Filter filter = profile.build();
    return in_child(no_new_privs, [&] {
        double start = cpu_micros();
        seccomp::load(filter);
        return cpu_micros() - start;
    });
}

// Microseconds of CPU for prepare() to find the default profile's program in
// a warm cache (a state directory of its own under /tmp): the key, one read.
double cached_prepare_time(const seccomp::Settings& settings) {
    double start = cpu_micros();
    seccomp::Filter filter = seccomp::prepare(settings, kDocker);
    double took = cpu_micros() - start;
    return filter.cached.empty() ? -1 : took;
}

}  // namespace

int main(int argc, char** argv) {
    long iterations = argc > 1 ? std::atol(argv[1]) : 1'000'000;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 7;

    // Once per container, before it starts: read the JSON, then decide the
    // conditions and hand libseccomp the rules.
    std::vector<double> parse_us, build_us, cached_us;
    seccomp::Settings settings = seccomp::settings_for("default");
    settings.state_dir = fmt::format("/tmp/unshared-bench-seccomp-{}", ::getpid());
    seccomp::prepare(settings, kDocker);  // cold: builds and stores
    for (int i = 0; i < rounds * 3; ++i) {
        double start = cpu_micros();
        seccomp::Profile parsed = seccomp::parse(seccomp::default_profile_json(), "default");
        parse_us.push_back(cpu_micros() - start);
        start = cpu_micros();
        seccomp::Filter filter = build(parsed, true);
        build_us.push_back(cpu_micros() - start);
        cached_us.push_back(cached_prepare_time(settings));
    }
    std::filesystem::remove_all(settings.state_dir);

    std::vector<Profile> profiles{
        {"no filter", {}},
        {"default", [] { return build(seccomp::default_profile(), true); }},
        {"default, no binary tree", [] { return build(seccomp::default_profile(), false); }},
        {"default, x86-64 only (no x86, x32)",
         [] { return build(seccomp::default_profile(), true, true); }},
    };
    if (::access(kPodmanProfile, R_OK) == 0)
        profiles.push_back(
            {"Podman's", [] { return build(seccomp::read_file(kPodmanProfile), true); }});

    // Rounds outside, profiles inside: a burst of other work hits them all.
    size_t n = profiles.size();
    std::vector<std::vector<double>> generate(n), load(n), cached(n), filtered(n);
    for (int r = 0; r < rounds; ++r)
        for (size_t i = 0; i < n; ++i) {
            if (profiles[i].build) generate[i].push_back(generate_time(profiles[i]));
            if (profiles[i].build) load[i].push_back(load_time(profiles[i]));
            cached[i].push_back(per_call(profiles[i], SYS_getppid, 0, iterations));
            filtered[i].push_back(per_call(profiles[i], SYS_personality, 0xffffffffUL, iterations));
        }

    fmt::print(
        "| profile | BPF instructions | seccomp_export_bpf (us) | seccomp(2) (us) | getppid "
        "(ns/call) | personality(query) (ns/call) |\n|---|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < n; ++i) {
        bool none = !profiles[i].build;
        fmt::print("| {} | {} | {} | {} | {:.0f} | {:.0f} |\n", profiles[i].name,
                   none ? "-" : std::to_string(profiles[i].build().program.size()),
                   none ? "-" : fmt::format("{:.0f}", median(generate[i])),
                   none ? "-" : fmt::format("{:.0f}", median(load[i])), median(cached[i]),
                   median(filtered[i]));
    }
    fmt::print(
        "\nOnce per container, the default profile: parse the JSON {:.0f} us; resolve it and "
        "hand libseccomp the rules and have it write the program {:.0f} us; or, from a warm cache, "
        "all of prepare() {:.0f} "
        "us.\nCPU time, medians of {} rounds, {} calls per "
        "timing; libseccomp {}.{}.{}.\n",
        median(parse_us), median(build_us), median(cached_us), rounds, iterations,
        seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
    return 0;
}
