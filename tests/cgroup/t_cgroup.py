#!/usr/bin/env python3
"""common/cgroup on this machine's layout (v1 here; v2 in the VM lane, tests/vm):
the limits land in the files the kernel reads, they hold (a memory hog is
OOM-killed and the runtime says so, a fork bomb stops at the pids limit, a
spinner gets its CPU share), the container sees its own cgroup read-only,
and nothing is left behind, also after a SIGKILL of the runtime.

Every cgroup is made under the test run's own parent (harness.cgroup_parent,
UNSHARED_CGROUP_PARENT) by cgroup-holder (holder.cpp), a tiny runtime that
does with cgroups what chapter 08 does, around a child that plays one part.
"""
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

HOLDER = Path(os.environ.get("UNSHARED_CGROUP_HOLDER", h.TOP / "build" / "tests" / "cgroup-holder"))
LIMITS = ("--memory", "64M", "--cpus", "0.5", "--pids-limit", "32")
HERE = ["cgroup"]  # the checks run once, not per chapter


def version():
    """v2 if /sys/fs/cgroup is the cgroup2 filesystem, else v1 (hierarchies below it)."""
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, point, kind = line.split()[:3]
        if point == "/sys/fs/cgroup":
            found = kind
    return "v2" if found == "cgroup2" else "v1"


def parents():
    value = os.environ.get("UNSHARED_CGROUP_PARENT", "")
    if not value:
        raise h.Skipped("no cgroup of the test run's own (UNSHARED_CGROUP_PARENT): "
                        "cannot make cgroups here")
    return [Path(p) for p in value.split(":")]


def left_over():
    """What is left under the test run's parents: nothing, after each check."""
    return sorted(str(p) for parent in parents() for p in parent.iterdir() if p.is_dir())


def expect_clean(what):
    h.expect_equal(left_over(), [], f"cgroups left under the test's parent {what}")


def state_dir():
    return tempfile.mkdtemp(prefix="unshared-state.")


def run_holder(*options, state=None, timeout=60):
    made = state is None
    state = state or state_dir()
    try:
        return subprocess.run([str(HOLDER), "--rootfs", str(h.ROOTFS), "--state", state, *options],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    finally:
        if made:
            subprocess.run(["rm", "-rf", state], check=True)


def answers(out):
    """The holder's key=value lines: dir= may repeat (one per hierarchy)."""
    seen = {"dir": []}
    for key, value in re.findall(r"^(\w+)=(.*)$", out, re.M):
        if key == "dir":
            seen["dir"].append(Path(value))
        else:
            seen[key] = value
    return seen


class Held:
    """A running holder in mode hold: its cgroup directories and its child."""

    def __init__(self, proc, state):
        self.proc, self.state, self.dirs = proc, state, []
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key == "dir":
                self.dirs.append(Path(value))
            if key == "pid":
                self.pid = int(value)
                return
        raise h.Failed(f"cgroup-holder ended before its child ran: {proc.stderr.read().strip()}")

    def dir_with(self, file):
        found = [d for d in self.dirs if (d / file).exists()]
        h.expect(found, f"no cgroup directory of the container has {file}: {self.dirs}")
        return found[0]

    def read(self, file):
        return (self.dir_with(file) / file).read_text().strip()


@contextmanager
def held(*options, orphan=False, name="holder"):
    state = state_dir()
    argv = [str(HOLDER), "--rootfs", str(h.ROOTFS), "--state", state, "--name", name,
            "--mode", "hold", *(["--orphan"] if orphan else []), *options]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        yield Held(proc, state)
    finally:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=30)
        subprocess.run(["rm", "-rf", state], check=True)


def alive(pid):
    """True while `pid` runs (a zombie counts as gone: it is only waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_gone(pid, timeout=5):
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


def start_check():
    h.expect(HOLDER.exists(), f"no {HOLDER}: build the tests first")
    expect_clean("before the check")


@h.check("the cgroup is <parent>/unshared/<name> in each hierarchy, and the child is in it",
         chapters=HERE)
def placed():
    start_check()
    with held(*LIMITS, name="web1-42") as c:
        expected = sorted(str(p / "unshared" / "web1-42") for p in parents())
        h.expect_equal(sorted(map(str, c.dirs)), expected, "the cgroup's directories")
        for d in c.dirs:
            procs = (d / "cgroup.procs").read_text().split()
            h.expect(str(c.pid) in procs, f"the child {c.pid} is not in {d}/cgroup.procs: {procs}")
        # /proc/PID/cgroup names the cgroup by its path from each hierarchy's root.
        own = Path(f"/proc/{c.pid}/cgroup").read_text()
        h.expect("/unshared/web1-42" in own, f"/proc/{c.pid}/cgroup does not name it: {own}")
    expect_clean("after the holder ended")


@h.check("--memory, --memory-swap, --cpus and --pids-limit land in the files the kernel reads",
         chapters=HERE)
def limits_written():
    start_check()
    v2 = version() == "v2"
    with held(*LIMITS) as c:
        wanted = {"memory.max": "67108864", "cpu.max": "50000 100000", "pids.max": "32"} if v2 \
            else {"memory.limit_in_bytes": "67108864", "cpu.cfs_quota_us": "50000",
                  "cpu.cfs_period_us": "100000", "pids.max": "32"}
        swap = "memory.swap.max" if v2 else "memory.memsw.limit_in_bytes"
        if any((d / swap).exists() for d in c.dirs):  # swap accounting on: Docker's default
            wanted[swap] = "67108864" if v2 else "134217728"
        for file, value in wanted.items():
            h.expect_equal(c.read(file), value, file)
    with held("--memory", "64M", "--memory-swap", "96M") as c:
        if any((d / swap).exists() for d in c.dirs):
            h.expect_equal(c.read(swap), "33554432" if v2 else "100663296", swap)
    expect_clean("after the holders ended")


@h.check("the cgroup, and every process left in it, go when the runtime ends", chapters=HERE)
def removed_at_exit():
    start_check()
    with held(*LIMITS) as c:
        dirs, pid = c.dirs, c.pid
        c.proc.stdin.close()
        h.expect_equal(c.proc.wait(timeout=30), 0, "the holder's exit status")
    h.expect(not any(d.exists() for d in dirs), f"cgroup directories left: {dirs}")
    h.expect(wait_gone(pid), f"the child {pid} is still alive")
    expect_clean("after the holder ended")


@h.check("after a SIGKILL of the runtime, the next run kills what is left and removes it",
         chapters=HERE)
def removed_after_kill():
    start_check()
    with held(*LIMITS, orphan=True) as c:
        c.proc.kill()
        c.proc.wait(timeout=10)
        h.expect(all(d.exists() for d in c.dirs), "the cgroup went with the killed holder: "
                 "then this check proves nothing")
        h.expect(alive(c.pid), "the orphaned child died with the holder: nothing left to kill")
        replay = run_holder("--mode", "replay", state=c.state)
        h.expect_equal(replay.returncode, 0, f"the replay's exit status ({replay.stderr.strip()})")
        h.expect(not any(d.exists() for d in c.dirs), f"left after the replay: {c.dirs}\n"
                 f"{replay.stdout}{replay.stderr}")
        h.expect(wait_gone(c.pid), f"the orphaned child {c.pid} survived the replay")
    expect_clean("after the replay")


@h.check("ten runs, five of them SIGKILLed and replayed, leave no cgroup", chapters=HERE)
def no_leak_in_runs():
    start_check()
    for i in range(10):
        with held("--memory", "64M", "--pids-limit", "32", orphan=i % 2 == 1,
                  name=f"run{i}") as c:
            if i % 2:
                c.proc.kill()
                c.proc.wait(timeout=10)
                replay = run_holder("--mode", "replay", state=c.state)
                h.expect_equal(replay.returncode, 0, f"replay: {replay.stderr.strip()}")
    expect_clean("after ten runs")


@h.check("a memory hog beyond --memory is OOM-killed (137), and the runtime says so",
         chapters=HERE)
def memory_hog():
    start_check()
    hog = run_holder("--memory", "64M", "--mode", "hog", "--size", "256M")
    seen = answers(hog.stdout)
    h.expect_equal(hog.returncode, 137, f"the hog's exit status ({hog.stderr.strip()})")
    h.expect("out of memory: the container hit its 64M memory limit" in hog.stderr,
             f"no out-of-memory line: {hog.stderr.strip()!r}")
    h.expect("touched" not in seen, "the hog touched all of its 256M")
    h.expect(int(seen.get("oom_kills", 0)) >= 1, f"oom_kills: {seen.get('oom_kills')}")
    # The limit is what kills it: without one, the same hog lives.
    free = run_holder("--mode", "hog", "--size", "256M")
    h.expect_equal(free.returncode, 0, f"the hog without --memory ({free.stderr.strip()})")
    h.expect("out of memory" not in free.stderr, f"an OOM line without OOM: {free.stderr!r}")
    expect_clean("after the hogs")


@h.check("a fork bomb stops at --pids-limit (EAGAIN), and the host can still fork",
         chapters=HERE)
def fork_bomb():
    start_check()
    bomb = run_holder("--pids-limit", "32", "--mode", "forks")
    seen = answers(bomb.stdout)
    h.expect_equal(bomb.returncode, 0, f"the fork bomb's exit status ({bomb.stderr.strip()})")
    forked = seen.get("forked", "?").split()
    # The child itself is one of the 32 processes the cgroup may hold.
    h.expect_equal(forked[0] if forked else "?", "31", "processes the bomb could fork")
    h.expect_equal(seen.get("forked", "").split("error=")[-1], "EAGAIN", "fork(2)'s error")
    h.expect_equal(subprocess.run(["true"]).returncode, 0, "a fork on the host")
    expect_clean("after the fork bomb")


@contextmanager
def first_in_line():
    """The test run's parent cgroup at the highest CPU weight (v1 cpu.shares,
    v2 cpu.weight) while it lasts. On a machine busy with other work a
    spinner of default weight gets a small share of a CPU whatever its limit
    (here, shared by several builds: 0.2); at the highest weight it gets all
    of one, and so the share measured is the limit's. Only the test's own
    cgroup changes, and only meanwhile."""
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


@h.check("a CPU spinner with --cpus 0.5 gets half of one CPU (cgroup accounting, within 15%)",
         chapters=HERE)
def cpu_share():
    start_check()
    seconds = 3
    with first_in_line():
        spin = run_holder("--cpus", "0.5", "--mode", "spin", "--seconds", str(seconds))
    seen = answers(spin.stdout)
    h.expect_equal(spin.returncode, 0, f"the spinner's exit status ({spin.stderr.strip()})")
    usec = int(seen.get("cpu_usec", -1))
    if usec < 0:
        raise h.Skipped("this v1 machine does not mount cpuacct: no CPU accounting to read")
    share = usec / (seconds * 1e6)
    h.expect(0.425 <= share <= 0.575, f"the spinner got {share:.2f} of a CPU, not 0.50")
    expect_clean("after the spinner")


@h.check("--explain shows mkdir, the limit files and how the child joins", chapters=HERE)
def explained():
    start_check()
    v2 = version() == "v2"
    run = run_holder("--explain", "--memory", "64M", "--mode", "spin", "--seconds", "0",
                     "--name", "told")
    h.expect_equal(run.returncode, 0, f"exit status ({run.stderr.strip()})")
    for parent in parents():
        h.expect(f"# shell: mkdir {parent}/unshared/told " in run.stderr,
                 f"no `mkdir {parent}/unshared/told` in:\n{run.stderr}")
    limit = "memory.max" if v2 else "memory.limit_in_bytes"
    h.expect(re.search(rf"# shell: echo 67108864 > \S+/unshared/told/{limit}", run.stderr),
             f"no `echo 67108864 > .../{limit}` in:\n{run.stderr}")
    join = r"CLONE_INTO_CGROUP" if v2 else r"# shell: echo \d+ > \S+/unshared/told/cgroup.procs"
    h.expect(re.search(join, run.stderr), f"no {join} in:\n{run.stderr}")
    h.expect(re.search(r"# shell: rmdir \S+/unshared/told ", run.stderr),
             f"no `rmdir .../unshared/told` in:\n{run.stderr}")
    expect_clean("after the run")


@h.check("inside, its own cgroup is the root of a read-only /sys/fs/cgroup", chapters=HERE)
def view():
    start_check()
    v2 = version() == "v2"
    limit = "/sys/fs/cgroup/memory.max" if v2 else "/sys/fs/cgroup/memory/memory.limit_in_bytes"
    procs = "/sys/fs/cgroup/cgroup.procs" if v2 else "/sys/fs/cgroup/memory/cgroup.procs"
    script = (f"cat /proc/self/cgroup; echo limit=$(cat {limit}); "
              f"(echo $$ > {procs}) 2>/dev/null && echo escaped=yes || echo escaped=no; "
              "mkdir /sys/fs/cgroup/x 2>/dev/null && echo mkdir=yes || echo mkdir=no")
    run = run_holder("--memory", "64M", "--mode", "view", "--", "/bin/sh", "-c", script)
    h.expect_equal(run.returncode, 0, f"exit status ({run.stderr.strip()})")
    seen = answers(run.stdout)
    h.expect_equal(seen.get("limit"), "67108864", f"{limit} inside")
    h.expect_equal(seen.get("escaped"), "no", f"writing one's pid into {procs}")
    h.expect_equal(seen.get("mkdir"), "no", "mkdir /sys/fs/cgroup/x")
    lines = [line for line in run.stdout.splitlines() if re.match(r"^\d+:[^:]*:", line)]
    if v2:
        h.expect_equal(lines, ["0::/"], "/proc/self/cgroup inside")
    else:
        memory = [line for line in lines if line.split(":")[1] == "memory"]
        h.expect_equal(memory, [memory[0].split(":")[0] + ":memory:/"] if memory else ["?"],
                       "the memory line of /proc/self/cgroup inside")
    expect_clean("after the run")


if __name__ == "__main__":
    h.main()
