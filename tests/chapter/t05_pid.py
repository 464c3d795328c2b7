#!/usr/bin/env python3
"""05-pid: the container's own PIDs, under a small init that reaps and forwards."""
import os
import signal
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("05-pid")


def ps_pids(chapter, options=()):
    out = h.run_ok(chapter, "ps", "-o", "pid,comm", options=options).stdout
    return [line.split()[0] for line in out.splitlines()[1:]]


@h.check("`ps` lists only the container: init (1) and ps (2)", FROM)
def ps_under_init(chapter):
    h.expect_equal(ps_pids(chapter), ["1", "2"], "PIDs listed by ps")


@h.check("with --no-init, `ps` is alone: it is PID 1", FROM)
def ps_without_init(chapter):
    h.expect_equal(ps_pids(chapter, ["--no-init"]), ["1"], "PIDs listed by ps")


@h.check("the command is PID 2 under init, child of PID 1", FROM)
def command_is_pid_2(chapter):
    answer = h.probe(chapter, "pid")
    h.expect_equal((answer.get("pid"), answer.get("ppid")), ("2", "1"), "(pid, ppid)")


@h.check("orphans are reaped: no zombie is left", FROM)
def orphans_reaped(chapter):
    h.expect_equal(h.probe(chapter, "orphans", "3").get("zombies"), "0", "zombies left")


@h.check("with --no-init nobody reaps the orphans (the problem init solves)", FROM)
def orphans_pile_up_without_init(chapter):
    answer = h.probe(chapter, "orphans", "3", options=["--no-init"])
    h.expect_equal(answer.get("zombies"), "3", "zombies left")


@h.check("SIGTERM to the runtime reaches the command through init (exit 143)", FROM)
def sigterm_forwarded(chapter):
    runtime = h.start(chapter, "sleep", "1000")
    h.wait_for_descendant(runtime.pid, "sleep")
    runtime.send_signal(signal.SIGTERM)
    # 143 = 128 + SIGTERM: the command died of the forwarded SIGTERM. The
    # runtime's fallback SIGKILL would show as 137 instead.
    h.expect_equal(runtime.wait(timeout=10), 143, "exit status of the runtime")


@h.check("with --no-init, PID 1 ignores SIGTERM: the runtime has to SIGKILL it (137)", FROM)
def pid1_ignores_sigterm(chapter):
    runtime = h.start(chapter, "sleep", "1000", options=["--no-init"])
    h.wait_for_descendant(runtime.pid, "sleep")
    runtime.send_signal(signal.SIGTERM)
    # sleep has no SIGTERM handler, and the kernel drops such signals for a
    # PID 1: only the runtime's fallback SIGKILL, 2 s later, ends it.
    h.expect_equal(runtime.wait(timeout=10), 137, "exit status of the runtime")
    h.expect("SIGKILL" in runtime.stderr.read(), "the runtime did not say it sent SIGKILL")


def sleeping(pids):
    """How many of `pids` are sleep(1) processes."""
    count = 0
    for p in pids:
        try:
            count += open(f"/proc/{p}/comm").read().strip() == "sleep"
        except OSError:
            pass
    return count


def kill_runtime_of_a_tree(chapter):
    """Runs a shell with a background grandchild, SIGKILLs the runtime, and
    returns the container's processes as they were just before."""
    runtime = h.start(chapter, "sh", "-c", "sleep 1000 & exec sleep 1001")
    deadline = time.monotonic() + 10
    while sleeping(h.descendants_of(runtime.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    tree = h.descendants_of(runtime.pid)
    runtime.kill()
    runtime.wait()
    return tree


@h.check("when the runtime is killed, every process of the container dies", FROM)
def whole_tree_dies(chapter):
    tree = kill_runtime_of_a_tree(chapter)
    deadline = time.monotonic() + 5
    while tree & h.processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    h.expect_equal(tree & h.processes(), set(), "container processes still alive")


@h.check("before 05, a grandchild outlives a killed runtime (why 05 matters)",
         h.chapters_before("05-pid")[-1:])
def grandchild_outlives_before(chapter):
    tree = kill_runtime_of_a_tree(chapter)
    time.sleep(0.3)
    survivors = tree & h.processes()
    for p in survivors:
        os.kill(p, signal.SIGKILL)
    h.expect(survivors, "no process outlived the runtime: was 04 given a PID namespace?")


@h.check("20 orphans ending at once are all reaped (one SIGCHLD can stand for many)", FROM)
def burst_of_orphans_reaped(chapter):
    h.expect_equal(h.probe(chapter, "orphans", "20").get("zombies"), "0", "zombies left")


def sigterm_status(chapter, *command, after=0.0):
    """Starts `command`, SIGTERMs the runtime once a sleep runs in it (and
    `after` seconds more); returns the runtime's exit status."""
    runtime = h.start(chapter, *command)
    h.wait_for_descendant(runtime.pid, "sleep")
    time.sleep(after)
    runtime.send_signal(signal.SIGTERM)
    return runtime.wait(timeout=10)


@h.check("the command gets the forwarded SIGTERM itself: its trap runs (exit 42)", FROM)
def sigterm_trapped(chapter):
    status = sigterm_status(chapter, "sh", "-c", "trap 'exit 42' TERM; sleep 1000 & wait")
    h.expect_equal(status, 42, "exit status of the runtime")


@h.check("after an orphan has been reaped, init still forwards SIGTERM (exit 143)", FROM)
def sigterm_after_orphan(chapter):
    status = sigterm_status(chapter, "sh", "-c", "(sleep 0.2 &); exec sleep 1000", after=0.8)
    h.expect_equal(status, 143, "exit status of the runtime")


if __name__ == "__main__":
    h.main()
