// Unit tests of host::Ledger: journal before make, undo newest first, replay
// after SIGKILL, keep(), shared resources. No root needed: each test works in
// a state directory of its own under /tmp, and its "host resources" are
// marker files in it, made and removed by test-only kinds.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/host.hpp"

namespace fs = std::filesystem;

namespace {

// What the test kinds' undos saw, in the order they ran.
std::vector<std::string> g_undone;
// Run by the "test-hook" undo, for the test of two runs ending at once.
std::function<void()> g_hook;

// "test-marker": the resource is a file; undo removes it, gone is fine.
void undo_marker(std::string_view arg) {
    g_undone.emplace_back(arg);
    std::string path{arg};
    if (::unlink(path.c_str()) == -1 && errno != ENOENT)
        throw error::syscall_error(errno, "unlink(\"" + path + "\")");
}
// "test-log": no resource, only the arg it was given (any bytes).
void undo_log(std::string_view arg) {
    g_undone.emplace_back(arg);
}
// "test-fails": an undo that always fails, as a busy cgroup would.
void undo_fails(std::string_view arg) {
    g_undone.emplace_back(arg);
    throw error::syscall_error(EBUSY, "rmdir(\"" + std::string(arg) + "\")");
}
void undo_hook(std::string_view arg) {
    g_undone.emplace_back(arg);
    if (g_hook) g_hook();
}

// Each test starts with the kinds registered and nothing seen.
void fresh() {
    host::register_kind("test-marker", undo_marker);
    host::register_kind("test-log", undo_log);
    host::register_kind("test-fails", undo_fails);
    host::register_kind("test-hook", undo_hook);
    g_undone.clear();
    g_hook = nullptr;
}

// A state directory of the test's own, removed with everything in it.
struct TempState {
    fs::path path;
    TempState() {
        char name[] = "/tmp/unshared-host-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path = name;
        REQUIRE(::mkdir((path / "host").c_str(), 0700) == 0);
        fresh();
    }
    ~TempState() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    // The journals in runs/ or kept/.
    std::vector<std::string> journals(const char* where) const {
        std::vector<std::string> names;
        if (!fs::exists(path / where)) return names;
        for (const auto& entry : fs::directory_iterator(path / where))
            names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
    // A "host resource" of the test: a file in <state>/host/.
    std::string marker(const std::string& name) const { return (path / "host" / name).string(); }
};

void make_marker(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::close(fd);
}
bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

// A fork(2)ed child running `body`; killed and reaped if the test gives up
// early, so no test leaves a process behind.
class Child {
  public:
    template <typename Body>
    explicit Child(Body body) : pid_(::fork()) {
        REQUIRE(pid_ >= 0);
        if (pid_ > 0) return;
        try {
            body();
        } catch (...) {
            ::_exit(3);
        }
        ::_exit(0);  // never back into doctest
    }
    ~Child() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        wait();
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }
    void kill() { ::kill(pid_, SIGKILL); }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_;
};

// "<pid>-<starttime>" as the journal of process `pid` is named (proc(5)).
std::string run_name(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat{std::istreambuf_iterator<char>(file), {}};
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // from field 3
    std::string field;
    for (int i = 3; i <= 22; ++i) fields >> field;
    return std::to_string(pid) + "-" + field;
}

bool killed(int status) {
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace

TEST_CASE("a Ledger undoes newest first at scope exit and removes its journal") {
    TempState state;
    std::vector<std::string> markers{state.marker("a"), state.marker("b"), state.marker("c")};
    {
        host::Ledger host{state.path};
        for (const std::string& m : markers) {
            host.record("test-marker", m);
            make_marker(m);
        }
        CHECK(state.journals("runs") == std::vector<std::string>{host.journal_name()});
    }
    CHECK(g_undone == std::vector<std::string>{markers[2], markers[1], markers[0]});
    for (const std::string& m : markers) CHECK_FALSE(exists(m));
    CHECK(state.journals("runs").empty());
}

TEST_CASE("an undo finds nothing to do when the resource was never made") {
    TempState state;
    std::vector<host::Outcome> outcomes;
    {
        host::Ledger host{state.path, [&](const host::Step& s) { outcomes.push_back(s.outcome); }};
        host.record("test-marker", state.marker("never-made"));
    }
    CHECK(outcomes == std::vector<host::Outcome>{host::Outcome::undone});
    CHECK(state.journals("runs").empty());
}

TEST_CASE("an exception after record() unwinds and undoes") {
    TempState state;
    std::string m = state.marker("made");
    try {
        host::Ledger host{state.path};
        host.record("test-marker", m);
        make_marker(m);
        throw std::runtime_error("a later set-up step failed");
    } catch (const std::runtime_error&) {
    }
    CHECK_FALSE(exists(m));
    CHECK(state.journals("runs").empty());
}

TEST_CASE("record() refuses a kind nobody could undo, before anything is written") {
    TempState state;
    host::Ledger host{state.path};
    CHECK_THROWS_AS(host.record("no-such-kind", "x"), std::logic_error);
    CHECK_THROWS_AS(host::register_kind("Bad Kind", undo_log), std::logic_error);
    CHECK(fs::file_size(state.path / "runs" / host.journal_name()) == 0);
}

TEST_CASE("keep() leaves the resources and the journal; replay leaves a kept journal alone") {
    TempState state;
    std::string m = state.marker("kept");
    std::string name;
    {
        host::Ledger host{state.path};
        host.record("test-marker", m);
        make_marker(m);
        name = host.keep();
    }
    CHECK(exists(m));
    CHECK(state.journals("runs").empty());
    CHECK(state.journals("kept") == std::vector<std::string>{name});
    CHECK(host::replay_dead_runs(state.path).empty());
    CHECK(exists(m));
    // A later `delete`:
    CHECK(host::undo_kept(state.path, name).size() == 1);
    CHECK_FALSE(exists(m));
    CHECK(state.journals("kept").empty());
    CHECK_THROWS_AS(host::undo_kept(state.path, "../runs/x.journal"), error::UsageError);
}

TEST_CASE("after a SIGKILL between record and make, the next run undoes everything") {
    TempState state;
    for (int made = 1; made <= 3; ++made) {
        CAPTURE(made);
        std::vector<std::string> markers;
        for (int i = 0; i <= made; ++i) markers.push_back(state.marker(std::to_string(i)));
        Child child{[&] {
            host::Ledger host{state.path};
            for (int i = 0; i < made; ++i) {
                host.record("test-marker", markers[i]);
                make_marker(markers[i]);
            }
            host.record("test-marker", markers[made]);
            ::raise(SIGKILL);  // dead before making the last one
        }};
        REQUIRE(killed(child.wait()));
        for (int i = 0; i < made; ++i) CHECK(exists(markers[i]));
        REQUIRE(state.journals("runs").size() == 1);

        g_undone.clear();
        std::vector<host::Step> steps = host::replay_dead_runs(state.path);
        CHECK(steps.size() == markers.size());
        for (const host::Step& s : steps) CHECK(s.outcome == host::Outcome::undone);
        CHECK(g_undone == std::vector<std::string>(markers.rbegin(), markers.rend()));
        for (const std::string& m : markers) CHECK_FALSE(exists(m));
        CHECK(state.journals("runs").empty());
    }
}

TEST_CASE("replay leaves alone the journal of a run that is still alive") {
    TempState state;
    std::string m = state.marker("in-use");
    fd::Pipe ready = fd::make_pipe();
    fd::Pipe hold = fd::make_pipe();
    Child child{[&] {
        host::Ledger host{state.path};
        host.record("test-marker", m);
        make_marker(m);
        (void)!::write(ready.write.get(), "r", 1);
        char byte;
        (void)!::read(hold.read.get(), &byte, 1);  // until the parent kills us
    }};
    ready.write.reset();
    char byte = 0;
    REQUIRE(::read(ready.read.get(), &byte, 1) == 1);

    CHECK(host::replay_dead_runs(state.path).empty());
    CHECK(exists(m));
    CHECK(state.journals("runs") == std::vector<std::string>{run_name(child.pid()) + ".journal"});

    child.kill();
    REQUIRE(killed(child.wait()));
    CHECK(host::replay_dead_runs(state.path).size() == 1);
    CHECK_FALSE(exists(m));
    CHECK(state.journals("runs").empty());
}

TEST_CASE("escape() round-trips any byte on one line of plain text") {
    std::string every_byte;
    for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
    const std::string samples[] = {
        every_byte, "",   "two words\nand a line", std::string("nul\0in", 6), "\xff\xfe not UTF-8",
        "100%",     "%41"};
    for (const std::string& s : samples) {
        std::string text = host::escape(s);
        CHECK(text.find_first_of(std::string(" \n\r\t\0", 5)) == std::string::npos);
        CHECK(host::unescape(text) == s);
    }
    CHECK(host::escape("/sys/fs/cgroup/unshared/web-1") == "/sys/fs/cgroup/unshared/web-1");
    CHECK(host::escape("a b\n") == "a%20b%0A");
    for (const char* bad : {"a b", "a\nb", "%4", "%zz", "%"}) CHECK_FALSE(host::unescape(bad));
}

TEST_CASE("args with any bytes come back from the journal as they were recorded") {
    TempState state;
    const std::vector<std::string> args{"new\nline", std::string("nul\0byte", 8),
                                        "\xc3\x28 bad UTF-8", "", "%20 literally"};
    Child child{[&] {
        host::Ledger host{state.path};
        for (const std::string& a : args) host.record("test-log", a);
        ::raise(SIGKILL);
    }};
    REQUIRE(killed(child.wait()));
    host::replay_dead_runs(state.path);
    CHECK(g_undone == std::vector<std::string>(args.rbegin(), args.rend()));
}

TEST_CASE("a journal with a kind this program does not know is kept, not half undone") {
    TempState state;
    std::string m = state.marker("older");
    make_marker(m);
    host::replay_dead_runs(state.path);  // makes runs/
    std::ofstream(state.path / "runs" / "1-1.journal")
        << "own test-marker " << host::escape(m) << "\nown from-chapter-99 x\n";
    std::ofstream(state.path / "runs" / "2-2.journal") << "own test-marker a b\n";  // raw space

    for (int twice = 0; twice < 2; ++twice) {
        std::vector<host::Step> steps = host::replay_dead_runs(state.path);
        REQUIRE(steps.size() == 2);
        CHECK(steps[0].outcome == host::Outcome::unknown_kind);
        CHECK(steps[0].kind == "from-chapter-99");
        CHECK(steps[1].outcome == host::Outcome::unreadable);
        CHECK(exists(m));
        CHECK(state.journals("runs").size() == 2);
    }
}

TEST_CASE("a last line cut short by SIGKILL is ignored: its resource was never made") {
    TempState state;
    std::string m = state.marker("made");
    make_marker(m);
    host::replay_dead_runs(state.path);
    std::ofstream(state.path / "runs" / "1-1.journal")
        << "own test-marker " << host::escape(m) << "\nown test-mar";
    CHECK(host::replay_dead_runs(state.path).size() == 1);
    CHECK_FALSE(exists(m));
    CHECK(state.journals("runs").empty());
}

TEST_CASE("a failed undo is reported, the others still run, and the journal stays") {
    TempState state;
    std::string m = state.marker("older");
    std::vector<host::Step> seen;
    {
        host::Ledger host{state.path, [&](const host::Step& s) { seen.push_back(s); }};
        host.record("test-marker", m);
        make_marker(m);
        host.record("test-fails", "busy");
    }
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].outcome == host::Outcome::failed);
    CHECK(seen[0].detail.find("Device or resource busy") != std::string::npos);
    CHECK(seen[1].outcome == host::Outcome::undone);
    CHECK_FALSE(exists(m));
    CHECK(state.journals("runs").size() == 1);  // a dead run's journal now: retried next time
    CHECK(host::replay_dead_runs(state.path).at(0).outcome == host::Outcome::failed);
}

TEST_CASE("a fork(2)ed child leaving the Ledger's scope undoes nothing") {
    TempState state;
    std::string m = state.marker("parent's");
    struct LeaveScope {};
    try {
        host::Ledger host{state.path};
        host.record("test-marker", m);
        make_marker(m);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) throw LeaveScope{};  // the child unwinds through ~Ledger
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(exists(m));
        CHECK(state.journals("runs").size() == 1);
    } catch (const LeaveScope&) {
        ::_exit(0);
    }
    CHECK_FALSE(exists(m));
}

TEST_CASE("a state directory others can write into is refused") {
    TempState state;
    ::chmod(state.path.c_str(), 0777);
    CHECK_THROWS_WITH_AS(host::Ledger{state.path}, doctest::Contains("writable by it alone"),
                         std::runtime_error);
}

TEST_CASE("a shared resource is undone by the last of two ledgers, in either order") {
    TempState state;
    std::string bridge = state.marker("bridge");
    for (bool first_leaves_first : {true, false}) {
        CAPTURE(first_leaves_first);
        std::optional<host::Ledger> one, two;
        one.emplace(state.path);
        one->record_shared("test-marker", bridge);
        one->record_shared("test-marker", bridge);  // already held: no second line
        std::ifstream journal(state.path / "runs" / one->journal_name());
        std::string text{std::istreambuf_iterator<char>(journal), {}};
        CHECK(std::count(text.begin(), text.end(), '\n') == 1);
        make_marker(bridge);
        two.emplace(state.path);
        two->record_shared("test-marker", bridge);
        (first_leaves_first ? one : two).reset();
        CHECK(exists(bridge));
        (first_leaves_first ? two : one).reset();
        CHECK_FALSE(exists(bridge));
        CHECK(state.journals("runs").empty());
    }
}

TEST_CASE("of two holders ending at once, exactly one sees itself as the last") {
    TempState state;
    std::string bridge = state.marker("bridge");
    std::optional<host::Ledger> two;
    {
        host::Ledger one{state.path};
        one.record("test-hook", "ends two");  // older: undone after the shared line
        one.record_shared("test-marker", bridge);
        make_marker(bridge);
        two.emplace(state.path);
        two->record_shared("test-marker", bridge);
        // While `one` is still alive, after it has let go of the bridge
        // (two holds it), `two` ends: it must find itself the last holder.
        g_hook = [&] {
            CHECK(exists(bridge));
            two.reset();
        };
    }
    CHECK_FALSE(exists(bridge));
    CHECK(state.journals("runs").empty());
}

namespace {

// A run that holds the shared `resource`, made it, and was SIGKILLed.
void holder_that_dies(const TempState& state, const std::string& resource) {
    Child child{[&] {
        host::Ledger host{state.path};
        host.record_shared("test-marker", resource);
        make_marker(resource);
        ::raise(SIGKILL);
    }};
    REQUIRE(killed(child.wait()));
}

}  // namespace

TEST_CASE("a shared resource outlives a SIGKILLed holder while a survivor holds it") {
    TempState state;
    std::string bridge = state.marker("bridge");
    holder_that_dies(state, bridge);
    std::optional<host::Ledger> survivor;
    survivor.emplace(state.path);
    survivor->record_shared("test-marker", bridge);

    std::vector<host::Step> steps = host::replay_dead_runs(state.path);
    REQUIRE(steps.size() == 1);
    CHECK(steps[0].outcome == host::Outcome::still_shared);
    CHECK(steps[0].detail == "runs/" + survivor->journal_name());
    CHECK(exists(bridge));
    CHECK(state.journals("runs") == std::vector<std::string>{survivor->journal_name()});
    survivor.reset();  // the last holder
    CHECK_FALSE(exists(bridge));
}

TEST_CASE("a SIGKILLed holder's journal does not keep a shared resource alive") {
    TempState state;
    std::string bridge = state.marker("bridge");
    holder_that_dies(state, bridge);
    {
        host::Ledger last{state.path};
        last.record_shared("test-marker", bridge);
    }  // the last live holder ends before any replay: it undoes
    CHECK_FALSE(exists(bridge));
    CHECK(state.journals("runs").size() == 1);  // the dead run's, for the next replay
}

TEST_CASE("a shared resource whose holders were all SIGKILLed is undone by replay") {
    TempState state;
    std::string bridge = state.marker("bridge");
    holder_that_dies(state, bridge);
    holder_that_dies(state, bridge);
    CHECK(state.journals("runs").size() == 2);
    host::replay_dead_runs(state.path);
    CHECK_FALSE(exists(bridge));
    CHECK(state.journals("runs").empty());
}

TEST_CASE("a kept journal holds its shared resources until it is undone") {
    TempState state;
    std::string bridge = state.marker("bridge");
    std::string kept;
    {
        host::Ledger created{state.path};
        created.record_shared("test-marker", bridge);
        make_marker(bridge);
        kept = created.keep();
    }
    {
        host::Ledger other{state.path};
        other.record_shared("test-marker", bridge);
    }
    CHECK(exists(bridge));
    host::undo_kept(state.path, kept);
    CHECK_FALSE(exists(bridge));
}
