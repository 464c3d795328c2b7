#!/usr/bin/env python3
"""Leave the host as you found it: after runs that succeed, fail, or are
killed, "the host" has the same mounts and no process of the container."""
import os
import signal
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

RUNS = 10


def kill_during_run(chapter, how):
    """Starts a long container, lets it get going, kills the runtime with `how`."""
    runtime = h.start(chapter, "sleep", "1000")
    h.wait_for_descendant(runtime.pid, "sleep")
    tree = h.descendants_of(runtime.pid)
    runtime.send_signal(how)
    runtime.wait(timeout=10)
    return tree


@h.check(f"{RUNS} runs that succeed, fail or are killed leave no mount and no process")
def no_leaks(chapter):
    mounts_before = h.host_mounts()
    container_pids = set()
    for i in range(RUNS):
        h.run(chapter, "true")
        h.run(chapter, "sh", "-c", "exit 3")
        h.run(chapter, "/no/such/command")
        container_pids |= kill_during_run(chapter, signal.SIGKILL if i % 2 else signal.SIGTERM)
    deadline = time.monotonic() + 5
    while container_pids & h.processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    h.expect_equal(h.host_mounts(), mounts_before, "the host's mount points")
    h.expect_equal(container_pids & h.processes(), set(), "container processes still alive")


if __name__ == "__main__":
    h.main()
