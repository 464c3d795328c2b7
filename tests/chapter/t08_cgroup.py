#!/usr/bin/env python3
"""08-cgroup: limits that hold. A fork bomb stops at --pids-limit, a memory
hog is OOM-killed at --memory, a CPU hog gets --cpus of CPU time; inside,
the container's own cgroup is the root of what it sees, read-only; and no
cgroup is left behind, also after SIGKILLed runtimes.

Runs on this machine's cgroup v1 and, labelled cgroup2, again in the VM
lane (tests/vm) on cgroup v2. Every cgroup is made under the test run's own
parent (harness.cgroup_parent, UNSHARED_CGROUP_PARENT), never elsewhere.
"""
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("08-cgroup")
OOM_LINE = "out of memory: the container hit its 64M memory limit"


def v2():
    """True if /sys/fs/cgroup is the cgroup2 filesystem (no v1 hierarchies)."""
    kinds = [line.split()[2] for line in Path("/proc/self/mounts").read_text().splitlines()
             if line.split()[1] == "/sys/fs/cgroup"]
    return kinds[-1:] == ["cgroup2"]


def parents():
    value = os.environ.get("UNSHARED_CGROUP_PARENT", "")
    if not value:
        raise h.Skipped("no cgroup of the test run's own (UNSHARED_CGROUP_PARENT): "
                        "cannot make cgroups here")
    return [Path(p) for p in value.split(":")]


def left_over():
    """Every cgroup under the test run's parents: none between two checks."""
    return sorted(str(p) for parent in parents() for p in parent.rglob("*") if p.is_dir())


def expect_clean(what):
    h.expect_equal(left_over(), [], f"cgroups left under the test's parent {what}")


def container_dirs(hostname, runtime_pid):
    """The container's cgroup, <parent>/unshared/<hostname>-<runtime's pid>."""
    return [p / "unshared" / f"{hostname}-{runtime_pid}" for p in parents()]


def wait_for(condition, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise h.Failed(f"timed out waiting for {what}")
        time.sleep(0.02)


@h.check("a fork bomb stops at --pids-limit 32 (EAGAIN), and the lab can still fork", FROM)
def fork_bomb(chapter):
    expect_clean("before the check")
    # Bounded at 200 forks: without the limit it stops there, harmlessly.
    bomb = h.start(chapter, "/bin/probe", "forks", "200", "2", options=["--pids-limit", "32"])
    line = bomb.stdout.readline()
    seen = dict(re.findall(r"(\w+)=(\S+)", line))
    # While the bomb holds every process it may have, the lab forks as it likes.
    lab = subprocess.run(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait"])
    h.expect_equal(bomb.wait(timeout=30), 0, f"exit status ({bomb.stderr.read().strip()})")
    # init (PID 1) and the probe are two of the 32.
    h.expect_equal(seen.get("forked"), "30", f"processes the bomb forked ({line.strip()!r})")
    h.expect_equal(seen.get("error"), "EAGAIN", "the error of the fork that failed")
    h.expect_equal(lab.returncode, 0, "forks in the lab during the bomb")
    expect_clean("after the fork bomb")


@h.check("a memory hog touching 256M with --memory 64M is OOM-killed: 137 and one line", FROM)
def memory_hog(chapter):
    expect_clean("before the check")
    hog = h.run(chapter, "/bin/probe", "hog", "256M", options=["--memory", "64M"], timeout=60)
    h.expect_equal(hog.returncode, 137, f"exit status ({hog.stderr.strip()!r})")
    h.expect("touched=" not in hog.stdout, f"the hog touched all of it: {hog.stdout.strip()}")
    told = [line for line in hog.stderr.splitlines() if "out of memory" in line]
    h.expect_equal(told, [f"{chapter}: {OOM_LINE}"],
                   "the runtime's out-of-memory line")
    expect_clean("after the hog")


@contextmanager
def first_in_line():
    """The test run's parent cgroup at the highest CPU weight (v1 cpu.shares,
    v2 cpu.weight) while it lasts: on a machine busy with other work a
    spinner of default weight gets less than its limit (the builds of other
    developers take the CPUs); at the highest weight it gets what the limit
    allows, so the share measured is the limit's. Only the test's own cgroup
    changes, and only meanwhile."""
    changed = []
    for parent in parents():
        for name, highest in (("cpu.shares", "262144"), ("cpu.weight", "10000")):
            if (parent / name).exists():
                changed.append((parent / name, (parent / name).read_text()))
                (parent / name).write_text(highest)
    try:
        yield
    finally:
        for path, value in changed:
            path.write_text(value)


def cpu_usage_usec(dirs):
    """CPU time the cgroup has used, from its own accounting (v2 cpu.stat
    usage_usec, v1 cpuacct.usage in ns), or None without accounting."""
    for d in dirs:
        if (d / "cpu.stat").exists() and v2():
            return int(re.search(r"usage_usec (\d+)", (d / "cpu.stat").read_text())[1])
        if (d / "cpuacct.usage").exists():
            return int((d / "cpuacct.usage").read_text()) // 1000
    return None


@h.check("a CPU hog with --cpus 0.5 uses half of one CPU (its cgroup's accounting, within 15%)",
         FROM)
def cpu_share(chapter):
    expect_clean("before the check")
    seconds = 3
    with first_in_line():
        spin = h.start(chapter, "/bin/probe", "spin", str(seconds + 3),
                       options=["--cpus", "0.5", "--hostname", "spin"])
        try:
            h.expect("spinning=" in spin.stdout.readline(), "the spinner did not start")
            dirs = container_dirs("spin", spin.pid)
            time.sleep(0.5)  # past the first period: the quota is per 100 ms
            start, used_before = time.monotonic(), cpu_usage_usec(dirs)
            if used_before is None:
                raise h.Skipped("this v1 machine does not mount cpuacct: no CPU accounting")
            time.sleep(seconds)
            used, wall = cpu_usage_usec(dirs) - used_before, time.monotonic() - start
        finally:
            spin.kill()  # SIGKILL: its cgroup is left for --cleanup
            spin.wait()
            subprocess.run([str(h.BIN / chapter), "--cleanup"], capture_output=True)
    share = used / (wall * 1e6)
    h.expect(0.425 <= share <= 0.575,
             f"the spinner used {share:.2f} of a CPU over {wall:.1f} s, not 0.50")
    expect_clean("after the spinner and --cleanup")


@h.check("/proc/self/cgroup inside shows the container's own cgroup as the root", FROM)
def own_root(chapter):
    expect_clean("before the check")
    lines = h.run_ok(chapter, "cat", "/proc/self/cgroup").stdout.split()
    if v2():
        h.expect_equal(lines, ["0::/"], "/proc/self/cgroup inside")
    else:
        not_root = [line for line in lines if line.split(":", 2)[2] != "/"]
        h.expect_equal(not_root, [], "lines of /proc/self/cgroup inside that are not /")
        h.expect(any(line.split(":")[1] == "memory" for line in lines),
                 f"no memory line in /proc/self/cgroup inside: {lines}")


@h.check("writing one's own pid into /sys/fs/cgroup/.../cgroup.procs inside fails", FROM)
def cannot_move(chapter):
    expect_clean("before the check")
    files = ["/sys/fs/cgroup/cgroup.procs"] if v2() else [
        f"/sys/fs/cgroup/{c}/cgroup.procs" for c in ("memory", "cpu", "pids")]
    script = "; ".join(f"(echo $$ > {f}) 2>/dev/null && echo moved={f}" for f in files)
    script += "; mkdir /sys/fs/cgroup/x 2>/dev/null && echo made=x; echo done"
    out = h.run_ok(chapter, "sh", "-c", script, options=["--pids-limit", "32"]).stdout
    h.expect_equal(out.split(), ["done"], "what the container could do to its cgroup")


# In 08 only: 09 and 10 run the same cgroup code, and each run costs a second
# in the VM lane (tests/vm), where this file runs again on cgroup v2.
@h.check("50 runs, 17 of them SIGKILLed, then --cleanup: no cgroup is left", FROM[:1])
def no_leak(chapter):
    expect_clean("before the check")
    limits = ["--memory", "64M", "--cpus", "0.5", "--pids-limit", "32", "--hostname", "leak"]
    for i in range(50):
        if i % 3 == 1:  # the last run (49) is one of them
            runtime = h.start(chapter, "sleep", "100", options=limits)
            h.wait_for_descendant(runtime.pid, "sleep")
            dirs = container_dirs("leak", runtime.pid)
            h.expect(all(d.is_dir() for d in dirs), f"no cgroup {dirs} while it ran")
            runtime.kill()  # SIGKILL: no undo; the next run (or --cleanup) replays
            runtime.wait()
        else:
            h.run_ok(chapter, "true", options=limits)
    h.expect(left_over(), "the SIGKILLed runtime left no cgroup: then this proves nothing")
    cleanup = subprocess.run([str(h.BIN / chapter), "--cleanup"], capture_output=True, text=True)
    h.expect_equal(cleanup.returncode, 0, f"--cleanup ({cleanup.stderr.strip()})")
    expect_clean("after 50 runs and --cleanup")


BAD = [(["--memory", "64Q"], "--memory 64Q"), (["--memory", "0"], "--memory 0"),
       (["--cpus", "-1"], "--cpus -1"), (["--cpus", "1000"], "--cpus 1000"),
       (["--pids-limit", "0"], "--pids-limit 0")]


@h.check("bad limits (--memory 64Q, --memory 0, --cpus -1 or 1000, --pids-limit 0): "
         "one line, exit 2", FROM)
def bad_input(chapter):
    for options, words in BAD:
        result = h.run(chapter, "true", options=options)
        lines = result.stderr.strip().splitlines()
        h.expect_equal((result.returncode, len(lines)), (2, 1),
                       f"{' '.join(options)}: exit status and lines ({result.stderr.strip()!r})")
        h.expect(words in lines[0], f"{' '.join(options)}: {lines[0]!r} does not say {words!r}")
    expect_clean("after bad input")


if __name__ == "__main__":
    h.main()
