// Unit tests of state: names, and a container directory's claim and undo.
// No root needed: each test uses a state directory of its own under /tmp.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/host.hpp"
#include "common/state.hpp"

namespace fs = std::filesystem;

namespace {

// A fresh state directory, removed at the end.
struct TempState {
    fs::path path =
        fs::temp_directory_path() / ("unshared-state-test-" + std::to_string(::getpid()));
    TempState() { fs::remove_all(path); }
    ~TempState() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("state::name_problem: Docker's names, none of the state directory's own") {
    for (const char* good : {"web", "web1", "a", "my_app.v2-test", "0day"})
        CHECK_MESSAGE(state::name_problem(good).empty(), good);
    for (const char* bad : {"", "-web", ".hidden", "_x", "a/b", "../x", "a b", "runs", "lock",
                            "kept", "net", "seccomp"})
        CHECK_MESSAGE(!state::name_problem(bad).empty(), bad);
    CHECK(state::name_problem(std::string(63, 'x')).empty());
    CHECK(!state::name_problem(std::string(64, 'x')).empty());
}

TEST_CASE("state::claim: one run gets a name; a second is refused, and leaves it alone") {
    TempState state;
    state::Settings web{"web", false};
    {
        host::Ledger first{state.path};
        state::Dir dir = state::claim(first, state.path, web);
        CHECK(fs::is_directory(state.path / "web"));
        {
            host::Ledger second{state.path};
            state::Settings same{"web", false};
            CHECK_THROWS_AS(state::claim(second, state.path, same), error::UsageError);
        }  // the second run's undo must not remove the first run's directory
        CHECK(fs::is_directory(state.path / "web"));
        auto listed = state::list(state.path);
        REQUIRE(listed.size() == 1);
        CHECK(listed[0].name == "web");
        CHECK(listed[0].status == "creating");
        CHECK(listed[0].owner == first.journal_name());
        // A generated name is drawn again instead of refused.
        host::Ledger third{state.path};
        state::Settings generated{"web", true};
        state::Dir other = state::claim(third, state.path, generated);
        CHECK(generated.name != "web");
        CHECK(fs::is_directory(state.path / generated.name));
    }  // each Ledger removes its own
    CHECK(state::list(state.path).empty());
    for (const auto& entry : fs::directory_iterator(state.path))
        CHECK_MESSAGE(state::name_problem(entry.path().filename()).size() > 0,
                      entry.path().filename().string());
}

TEST_CASE("state::open: a name nobody has, a container still being created") {
    TempState state;
    CHECK_THROWS_AS(state::open(state.path, "nobody"), error::UsageError);
    host::Ledger run{state.path};
    state::Settings web{"web", false};
    state::Dir dir = state::claim(run, state.path, web);
    CHECK_THROWS_WITH_AS(state::open(state.path, "web"), doctest::Contains("not running yet"),
                         error::UsageError);
}
