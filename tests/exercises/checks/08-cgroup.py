"""Exercise 08-cgroup: the limits, in the files (and values) the kernel reads."""
import re
from pathlib import Path

from checker import Wrong, check, printed, run, run_ok, started

LIMITS = ["--memory", "64M", "--cpus", "0.5", "--pids-limit", "32"]


def v2():
    kinds = [line.split()[2] for line in Path("/proc/self/mounts").read_text().splitlines()
             if line.split()[1] == "/sys/fs/cgroup"]
    return kinds[-1:] == ["cgroup2"]


def wanted_files():
    """The container's own cgroup, as its read-only view shows it inside."""
    if v2():
        return {"/sys/fs/cgroup/memory.max": "67108864", "/sys/fs/cgroup/cpu.max": "50000 100000",
                "/sys/fs/cgroup/pids.max": "32"}
    return {"/sys/fs/cgroup/memory/memory.limit_in_bytes": "67108864",
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000",
            "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
            "/sys/fs/cgroup/pids/pids.max": "32"}


@check("with --memory 64M --cpus 0.5 --pids-limit 32, the container's cgroup holds each limit",
       ask="Which file holds each limit, in which unit (bytes, microseconds)? How much CPU time "
           "per 100 ms period is half of one CPU (cgroups(7), the quota and the period)?")
def limits_in_files():
    files = wanted_files()
    script = "; ".join(f"echo {f}=$(cat {f})" for f in files)
    result = run_ok("sh", "-c", script, options=LIMITS)
    seen = dict(re.findall(r"^(\S+)=(.*)$", result.stdout, re.M))
    for file, value in files.items():
        if seen.get(file) != value:
            raise Wrong(f"inside, {file} reads {printed(seen.get(file, 'nothing'))}; "
                        f"expected {value}.")


@check("a fork bomb stops at --pids-limit 32: init, the probe and 30 children",
       ask="Which controller counts processes, and what does fork(2) get when its cgroup is "
           "full (EAGAIN)? Was the pids limit written at all?")
def fork_bomb():
    options = ["--pids-limit", "32"]
    with started("/bin/probe", "forks", "200", options=options) as bomb:
        line = bomb.stdout.readline()
    seen = dict(re.findall(r"(\w+)=(\S+)", line))
    if seen.get("forked") != "30":
        raise Wrong(f"with --pids-limit 32 the probe forked {seen.get('forked', 'nothing')} "
                    "children (it stops at 200 by itself); expected 30: with init and the "
                    "probe, 32 processes.")


@check("a memory hog touching 256M with --memory 64M is OOM-killed (137), and the runtime says so",
       ask="In which order does v1 take the memory limit and the memory-plus-swap limit "
           "(memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes)?")
def memory_hog():
    options = ["--memory", "64M"]
    result = run("/bin/probe", "hog", "256M", options=options, timeout=60)
    if result.returncode != 137:
        raise Wrong(f"the hog's container exited {result.returncode}, expected 137 (killed by the "
                    f"OOM killer): {printed(result.stderr or result.stdout)}")
    if "out of memory: the container hit its 64M memory limit" not in result.stderr:
        raise Wrong(f"the runtime did not say it ran out of memory: {printed(result.stderr)}")
