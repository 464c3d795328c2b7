#!/usr/bin/env python3
"""bench/measure.py ROWS.tsv OUT.json: run every row's command, paired, and time it.

ROWS.tsv has one row per line: name, group, chapter, what it does, then the
command's words, all separated by tabs (bench/run writes it). OUT.json gets,
for each row, one record per round: [wall_ms, gone_ms, cpu_ms, faults].
A command may start with redirections written as a shell writes them,
"3<FILE" (FILE opened read-only as fd 3 of the command): bubblewrap's
--seccomp FD reads its filter so.

How it measures (bench/README.md says why):
- Paired: every round runs every row once, in a shuffled (or rotated)
  order, so a burst of other work on the machine lands on all rows alike
  and a ratio can be taken round by round. WARMUP rounds come first and are not kept.
- wall_ms: from starting the command to its exit (what a shell waits for).
- gone_ms: until the last process it started has ended too. A runtime that
  exits before its container is gone (bubblewrap does) leaves the rest to
  whoever inherits the orphans.
- cpu_ms: user + system time of the whole process tree, from
  getrusage(RUSAGE_CHILDREN) before and after. That counts only children
  that were waited for, so we make ourselves a child subreaper
  (prctl(2) PR_SET_CHILD_SUBREAPER): orphans of the command come to us and
  are reaped (and counted) before the next run starts.
- faults: page faults (minor + major) of the same tree, from the same rusage.
- No peak RSS: a child of this Python process starts in its memory
  (posix_spawn is a vfork), and the kernel keeps that peak across the
  execve, so every row would show Python's size. bench/peak_rss measures it.

Settings in the environment: RUNS (rounds kept, default 200), WARMUP (20),
SEED (the shuffle's, default 1), ORDER ("shuffle", the default, or
"rotate": round N runs the rows in the order of the file, started at row
N mod the number of rows, so every row goes first, second, ... equally).
"""
import ctypes
import json
import os
import random
import re
import resource
import shutil
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
TIMEOUT_S = 30  # a run that takes longer than this is a hang, not a time


class Hung(Exception):
    pass


def on_alarm(signo, frame):
    raise Hung()


def tree_usage():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000, r.ru_minflt + r.ru_majflt


REDIRECTION = re.compile(r"^(\d+)<(.+)$")  # "3<FILE"


def split_redirections(words):
    """(file actions opening each "N<FILE" word, the command after them)."""
    actions = []
    while words and REDIRECTION.match(words[0]):
        fd, path = REDIRECTION.match(words[0]).groups()
        actions.append((os.POSIX_SPAWN_OPEN, int(fd), path, os.O_RDONLY, 0))
        words = words[1:]
    return actions, words


def run_once(argv, devnull, opens=()):
    """One run of argv: (wall_ms, gone_ms, cpu_ms, faults), or raises on failure."""
    cpu0, faults0 = tree_usage()
    signal.alarm(TIMEOUT_S)
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
                         + list(opens))
    _, status, _ = os.wait4(pid, 0)
    exited = time.perf_counter_ns()
    # Orphans it left (reparented to us, the subreaper) end before we stop the clock.
    while True:
        try:
            os.wait4(-1, 0)
        except ChildProcessError:
            break
    gone = time.perf_counter_ns()
    signal.alarm(0)
    cpu1, faults1 = tree_usage()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"exit status {os.waitstatus_to_exitcode(status)}")
    return [(exited - start) / 1e6, (gone - start) / 1e6, cpu1 - cpu0, faults1 - faults0]


def main():
    rows_path, out_path = sys.argv[1], sys.argv[2]
    rows = []
    for line in open(rows_path):
        fields = line.rstrip("\n").split("\t")
        # Rows that failed their trial run, or have no peer, have no command ("-").
        if len(fields) >= 5 and fields[1] != "skipped" and fields[4] != "-":
            opens, argv = split_redirections(fields[4:])
            # posix_spawn(3) does not search PATH: look the program up once, here.
            argv[0] = shutil.which(argv[0]) or argv[0]
            rows.append((fields[0], argv, opens))
    runs = int(os.environ.get("RUNS", 200))
    warmup = int(os.environ.get("WARMUP", 20))
    shuffle = random.Random(int(os.environ.get("SEED", 1)))
    rotate = os.environ.get("ORDER", "shuffle") == "rotate"

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"bench/measure.py: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
    signal.signal(signal.SIGALRM, on_alarm)
    devnull = os.open(os.devnull, os.O_RDWR)

    results = {name: [] for name, _, _ in rows}
    for round_number in range(warmup + runs):
        order = list(rows)
        if rotate and order:
            first = round_number % len(order)
            order = order[first:] + order[:first]
        else:
            shuffle.shuffle(order)
        for name, argv, opens in order:
            try:
                record = run_once(argv, devnull, opens)
            except Hung:
                sys.exit(f"bench/measure.py: {name}: still running after {TIMEOUT_S} s")
            except (OSError, RuntimeError) as e:
                sys.exit(f"bench/measure.py: {name}: {e}")
            if round_number >= warmup:
                results[name].append(record)
        if (round_number + 1) % 50 == 0:
            print(f"bench/measure.py: {round_number + 1} of {warmup + runs} rounds", file=sys.stderr)
    with open(out_path, "w") as out:
        json.dump({"runs": runs, "warmup": warmup, "results": results}, out)


if __name__ == "__main__":
    main()
