#!/usr/bin/env python3
"""checker.py: runs one exercise's checks on a learner's build, in the lab.

    tests/lab python3 tests/exercises/checker.py NN-name [--results FILE]

exercises/check builds the learner's file, then calls this with UNSHARED_BIN
and UNSHARED_ROOTFS pointing at that build. The checks of an exercise are in
tests/exercises/checks/NN-name.py. The chapter tests prove that the solution
in common/ works; these are written for a learner instead:

  - each one exists because a wrong solution needs it: the mutants in
    tests/exercises/mutants/NN-name/ are plausible half-understandings of
    the lesson, and `ctest -R exercise.mutants` fails if one of them passes
    every check, or if a check catches none of them;
  - a failure says what was seen, what was expected, and asks about the idea
    of the lesson to revisit. It never prints a Python repr;
  - every run of the learner's build is watched from the lab, which stands
    for the host: its mount table, hostname, IPC objects and processes are
    compared before and after, and a run that changed them fails, saying what
    changed. A container must leave its host as it found it.

Exit status: 0 every check passes, 1 some fail, 2 bad usage, 77 not root.
"""

import argparse
import contextlib
import ctypes
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import harness as h  # noqa: E402

HERE = Path(__file__).resolve().parent
BIN, ROOTFS = h.BIN.absolute(), h.ROOTFS.absolute()
CHAPTER = None  # the exercise's chapter, set by main() before the checks load


class Wrong(Exception):
    """What the learner's build did wrong, in plain sentences: what was seen,
    what was expected. `ask` overrides the check's question."""

    def __init__(self, message, ask=None):
        super().__init__(message)
        self.ask = ask


# --- the checks ------------------------------------------------------------------

class Check:
    def __init__(self, description, ask, fn):
        self.description, self.ask, self.fn = description, ask, fn


CHECKS = []
# The question for a run that changed the lab, by what it changed; a check
# module may set its own DAMAGE_ASK entries.
DAMAGE_ASK = {
    "mounts": "Which of your mounts or unmounts reached the host, and through which mount "
              "namespace (mount_namespaces(7))?",
    "rootfs": "Does your code create or change anything in the rootfs, the user's directory, "
              "and leave it there? A runtime writes nothing there.",
    "names": "In which UTS namespace did the name change: was it the container's own "
             "(uts_namespaces(7))?",
    "ipc": "In which IPC namespace was that object made or removed: the container's own "
           "(ipc_namespaces(7))?",
    "processes": "Which process of the container was left running, and who should have ended "
                 "it when the container ended?",
}


def check(description, ask):
    """Registers a check: `description` is what a learner should see when it
    works; `ask` the question to ask when it does not."""
    def register(fn):
        CHECKS.append(Check(description, ask, fn))
        return fn
    return register


# --- words, not reprs -------------------------------------------------------------

def words(items, most=12):
    """'bin dev etc' for a list, cut after `most` items; '(nothing)' if empty."""
    items = list(items)
    if not items:
        return "(nothing)"
    shown = " ".join(str(i) for i in items[:most])
    return shown + (f" ... ({len(items)} in all)" if len(items) > most else "")


def printed(text):
    """What a command printed, for a sentence: its first line, or 'nothing'."""
    lines = text.strip().splitlines()
    if not lines:
        return "nothing"
    return lines[0] + (f" (and {len(lines) - 1} more lines)" if len(lines) > 1 else "")


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- the lab's state: what a run must not change ------------------------------------

MQUEUE_VIEW = None  # an mqueue mount of the lab's IPC namespace, made by main()


def _mounts():
    """The lab's mounts as (mount point, type, source, options, propagation)."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fields, more = left.split(), right.split()
            # Optional fields: "shared:3 master:1"; keep the kinds, not the numbers.
            propagation = ",".join(sorted(o.split(":")[0] for o in fields[6:])) or "private"
            mounts.append((fields[4], more[0], more[1], fields[5], propagation))
    return mounts


def _sysv_ipc():
    """The lab's System V IPC objects (/proc/sysvipc shows the reader's IPC namespace)."""
    objects = set()
    for kind in ("shm", "sem", "msg"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            key, ident = line.split()[:2]
            objects.add(f"{kind} 0x{int(key) & 0xffffffff:08x} (id {ident})")
    return objects


def _processes():
    """Our live descendants (pid -> name). The checker is a child subreaper,
    so what a run leaves behind is re-parented to it and shows here."""
    found = {}
    for pid in h.descendants_of(os.getpid()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] != "Z":
            found[pid] = stat[stat.index("(") + 1:stat.rindex(")")]
    return found


def _rootfs_tree():
    """Every path in the rootfs with its type, size and modification time,
    not descending into what is mounted in it (a run may leak a /proc there)."""
    found, device = {}, os.lstat(ROOTFS).st_dev
    for root, dirs, files in os.walk(ROOTFS):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            found[os.path.relpath(path, ROOTFS)] = (st.st_mode, st.st_size, st.st_mtime_ns)
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(root, d)).st_dev == device]
    return found


def lab_state():
    uname = os.uname()
    return {
        "rootfs": _rootfs_tree(),
        "mounts": Counter(_mounts()),
        "names": (uname.nodename, _domainname()),
        "ipc": _sysv_ipc(),
        "mqueues": set(os.listdir(MQUEUE_VIEW)) if MQUEUE_VIEW else set(),
        "processes": _processes(),
    }


def _domainname():
    return Path("/proc/sys/kernel/domainname").read_text().strip()


def _reap_orphans():
    """Reaps the zombies re-parented to us (orphans of the runs that ended)."""
    for pid in h.descendants_of(os.getpid()):
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] == "Z":
                os.waitpid(pid, os.WNOHANG)
        except (OSError, ChildProcessError):
            pass


def _mount_list(mounts):
    points = sorted({m[0] for m in mounts})
    shown = words(points, 6).replace(" in all)", " mount points in all)")
    return f"{plural(len(mounts), 'mount')}, on {shown}"


def changes(before, after):
    """(kind, sentence) for each way the lab changed between two states; [] if
    it did not. The kinds are the keys of DAMAGE_ASK."""
    said = []
    lost = before["mounts"] - after["mounts"]
    gained = after["mounts"] - before["mounts"]
    changed = {m[0] for m in lost} & {m[0] for m in gained}
    lost = [m for m in lost.elements() if m[0] not in changed]
    gained = [m for m in gained.elements() if m[0] not in changed]
    if lost:
        said.append(("mounts", f"the lab lost {_mount_list(lost)}"))
    if gained:
        said.append(("mounts", f"the lab gained {_mount_list(gained)}"))
    for point in sorted(changed):
        old = [m for m in before["mounts"] if m[0] == point][0]
        new = [m for m in after["mounts"] if m[0] == point][0]
        what = [f"{kind} {a} became {b}" for kind, a, b in
                zip(("type", "source", "options", "propagation"), old[1:], new[1:]) if a != b]
        said.append(("mounts", f"the lab's mount on {point} changed: {', '.join(what)}"))
    if before["names"][0] != after["names"][0]:
        said.append(("names", f"the lab's hostname changed from {before['names'][0]} to "
                              f"{after['names'][0]}"))
    if before["names"][1] != after["names"][1]:
        said.append(("names", f"the lab's domain name changed from {before['names'][1]} "
                              f"to {after['names'][1]}"))
    for kind, label in (("ipc", "System V IPC objects"), ("mqueues", "POSIX message queues")):
        if after[kind] - before[kind]:
            said.append(("ipc", f"new {label} appeared in the lab: "
                                f"{words(sorted(after[kind] - before[kind]))}"))
        if before[kind] - after[kind]:
            said.append(("ipc", f"{label} of the lab vanished: "
                                f"{words(sorted(before[kind] - after[kind]))}"))
    old, new = before["rootfs"], after["rootfs"]
    for label, paths in (("added", sorted(set(new) - set(old))),
                         ("removed", sorted(set(old) - set(new))),
                         ("changed", sorted(p for p in set(new) & set(old) if new[p] != old[p]))):
        if paths:
            said.append(("rootfs", f"the rootfs (the user's directory {ROOTFS}) had "
                                   f"{words(paths, 6)} {label}"))
    left = {p: n for p, n in after["processes"].items() if p not in before["processes"]}
    if left:
        names = words(f"{n} (pid {p})" for p, n in sorted(left.items()))
        said.append(("processes",
                     f"{plural(len(left), 'process')} of the container outlived it: {names}"))
    return said


def _settle(before):
    """Gives what a run left behind a moment to end (an init's last orphans),
    reaps the orphans re-parented to us, and returns the lab's state."""
    deadline = time.monotonic() + 1.0
    while True:
        _reap_orphans()
        after = lab_state()
        extra = set(after["processes"]) - set(before["processes"])
        if not extra or time.monotonic() > deadline:
            return after
        time.sleep(0.05)


def _clean_up_processes(before, after):
    for pid in set(after["processes"]) - set(before["processes"]):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    time.sleep(0.05)
    _reap_orphans()


# The first damage seen during the current check: what the learner must
# hear about, even if the check then trips over the damaged lab.
FIRST_DAMAGE = None


def guard(before, during):
    """Fails if the lab changed since `before`; `during` names what ran."""
    global FIRST_DAMAGE
    after = _settle(before)
    said = changes(before, after)
    _clean_up_processes(before, after)
    if said:
        FIRST_DAMAGE = FIRST_DAMAGE or Wrong(f"after {during}, {'; '.join(sentence for _, sentence in said)}. A container "
                    "must leave its host (here the lab) as it found it.",
                    ask=DAMAGE_ASK[said[0][0]])
        raise FIRST_DAMAGE


# --- running the learner's build ------------------------------------------------------

def shown(command, options=()):
    """How a learner would type the run: `03-uts --hostname web1 -- hostname`."""
    return "`" + shlex.join([CHAPTER, *options, *(["--", *command] if command else [])]) + "`"


def run(*command, options=(), timeout=10, cwd=None, rootfs=None, user=None):
    """Runs the learner's chapter on `command` and returns the CompletedProcess;
    fails (Wrong) if it hangs or if the lab changed. `user`: run it as that
    user, rootless (harness.run's `user`)."""
    argv = [str(BIN / CHAPTER), *options, "--rootfs", str(rootfs or ROOTFS), "--", *command]
    before = lab_state()
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, preexec_fn=h._become(user),
                              cwd=cwd or ("/" if user else None))
    except subprocess.TimeoutExpired:
        raise Wrong(f"{shown(command, options)} was still running after {timeout} s "
                    "(the checker killed it)") from None
    finally:
        guard(before, shown(command, options))


@contextmanager
def started(*command, options=()):
    """Starts the learner's chapter on `command` in the background and yields
    its Popen; afterwards makes sure it has ended, and that the lab did not
    change."""
    argv = [str(BIN / CHAPTER), *options, "--rootfs", str(ROOTFS), "--", *command]
    before = lab_state()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        guard(before, shown(command, options))


def why_it_failed(result, command, options=()):
    """A sentence for a run that exited non-zero, naming the likely reason."""
    said = result.stderr.strip() or result.stdout.strip()
    said = said.splitlines()[0] if said else "nothing"
    run_as = shown(command, options)
    if "not implemented yet" in said:
        raise Wrong(f"{run_as} stopped at the stub (\"not implemented yet\"). Write your code "
                    "between // EXERCISE and // END EXERCISE, in place of the throw.", ask="")
    if result.returncode == 125:
        return f"the container of {run_as} could not be set up (exit status 125); it said: {said}"
    if result.returncode in (126, 127):
        return (f"the container of {run_as} was set up, but the command could not run "
                f"(exit status {result.returncode}); it said: {said}")
    return f"{run_as} exited with status {result.returncode}; it said: {said}"


def run_started(*command, **kw):
    """Like run, but the container must have started the command (its own
    exit status may be anything below 125)."""
    result = run(*command, **kw)
    if result.returncode >= 125:
        raise Wrong(why_it_failed(result, command, kw.get("options", ())))
    return result


def run_ok(*command, **kw):
    """Like run, but the run must succeed (exit status 0)."""
    result = run(*command, **kw)
    if result.returncode != 0:
        raise Wrong(why_it_failed(result, command, kw.get("options", ())))
    return result


def probe(*question, **kw):
    """Asks the probe inside; returns its key=value answers as a dict."""
    return dict(re.findall(r"(\w+)=(\S*)", run_ok("/bin/probe", *question, **kw).stdout))


@contextmanager
def host_directory(marker="host-working-directory"):
    """A directory of the lab holding one file, `marker`: where a run starts.
    In the lab's own tmpfs (harness.lab_tmpfs): nothing is written to the machine."""
    with h.lab_tmpfs() as d:
        Path(d, marker).write_text("this is the host's directory, outside the rootfs\n")
        yield d


# --- the runner -------------------------------------------------------------------------

def _colour(code, text):
    if sys.stdout.isatty() or os.environ.get("UNSHARED_COLOUR"):
        return f"\033[{code}m{text}\033[0m"
    return text


def _indent(text, prefix="        "):
    return "\n".join(prefix + line for line in text.splitlines())


def _become_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"checker: prctl(PR_SET_CHILD_SUBREAPER): errno {ctypes.get_errno()}")


@contextmanager
def _lab_mqueue_view():
    """Mounts the lab's own mqueue filesystem, to see its POSIX queues."""
    global MQUEUE_VIEW
    with h.lab_tmpfs() as scratch:
        d = scratch / "mqueue"
        d.mkdir()
        subprocess.run(["mount", "-t", "mqueue", "lab-mqueue", str(d)], check=True)
        MQUEUE_VIEW = d
        try:
            yield
        finally:
            MQUEUE_VIEW = None
            subprocess.run(["umount", "--lazy", str(d)], capture_output=True)


def load_checks(exercise):
    """Loads checks/NN-name.py; its `from checker import ...` must find this
    module, not a second copy of it, so that its checks land in CHECKS."""
    import importlib.util
    sys.modules.setdefault("checker", sys.modules[__name__])
    path = HERE / "checks" / f"{exercise}.py"
    spec = importlib.util.spec_from_file_location(f"checks_{exercise[:2]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    DAMAGE_ASK.update(getattr(module, "DAMAGE_ASK", {}))
    return module


def run_check(c):
    """Runs one check; returns (passed, message, crashed)."""
    global FIRST_DAMAGE
    FIRST_DAMAGE = None
    before = lab_state()
    try:
        c.fn()
        guard(before, "this check's runs")
        return True, "", False
    except Exception as e:
        # A check that trips over a lab the learner's build damaged reports
        # the damage, not its own stumble.
        wrong = FIRST_DAMAGE or (e if isinstance(e, Wrong) else None)
        if wrong is None:  # a bug in the check, not in the learner's code
            return False, ("the check itself crashed (a bug in tests/exercises, not in your "
                           "code):\n" + traceback.format_exc(limit=3).strip()), True
        ask = c.ask if wrong.ask is None else wrong.ask
        return False, _wrap(str(wrong)) + (f"\n{_wrap('Ask yourself: ' + ask)}" if ask else ""), \
            False


def _wrap(text, width=92):
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


def print_result(description, passed, message):
    if passed:
        print(_colour("32", "  ok    ") + description, flush=True)
    else:
        print(_colour("31", "  FAIL  ") + description + "\n" + _indent(message), flush=True)


def run_one(index, results_file):
    """Runs check number `index` here, in a lab of its own; writes its result."""
    _become_subreaper()
    c = CHECKS[index]
    # From 07 on root's containers take the ids of the user `unshared`; from
    # 08 on they make cgroups, under a parent of the check's own.
    users = h.dedicated_user() if h.number(CHAPTER) >= 7 else contextlib.nullcontext()
    with _lab_mqueue_view(), h.cgroup_parent(), users:
        passed, message, crashed = run_check(c)
        result = {"check": c.description, "passed": passed, "message": message,
                  "crashed": crashed}
        Path(results_file).write_text(json.dumps(result) + "\n")
        print_result(c.description, passed, message)
        # The lab is thrown away next: if the build unmounted our scratch
        # mounts, their umount(8) complaints would only be noise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


def run_all(results_file):
    """Runs each check in a fresh lab of its own (tests/lab, nested): a build
    that damaged the lab in one check cannot make the next ones fail."""
    results = []
    with tempfile.TemporaryDirectory(prefix="unshared-check.") as scratch:
        for index, c in enumerate(CHECKS):
            one = Path(scratch) / f"{index}.json"
            subprocess.run([str(h.TOP / "tests" / "lab"), sys.executable, __file__, CHAPTER,
                            "--only", str(index), "--results", str(one)])
            if one.exists():
                results.append(json.loads(one.read_text()))
            else:  # the check's lab itself failed (its output says why)
                results.append({"check": c.description, "passed": False, "crashed": True,
                                "message": "the check's lab ended before the check did"})
                print_result(c.description, False, results[-1]["message"])
    passed = sum(r["passed"] for r in results)
    if results_file:
        Path(results_file).write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{passed} of {len(results)} checks pass (the untouched stub passes none).")
    return 0 if passed == len(results) else 1


def main():
    global CHAPTER
    parser = argparse.ArgumentParser(prog="checker.py")
    parser.add_argument("exercise")
    parser.add_argument("--results")
    parser.add_argument("--only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (HERE / "checks" / f"{args.exercise}.py").exists():
        parser.error(f"no checks for {args.exercise} in {HERE / 'checks'}")
    if os.geteuid() != 0:
        print("SKIP: the checks create namespaces and mounts: run them as root")
        sys.exit(h.SKIP)
    CHAPTER = args.exercise
    if not (BIN / CHAPTER).exists():
        print(f"checker: no {CHAPTER} in {BIN}: build it first", file=sys.stderr)
        sys.exit(2)
    load_checks(CHAPTER)
    if args.only is not None:
        try:
            run_one(args.only, args.results)
        except subprocess.CalledProcessError:
            pass  # the lab's own mounts were gone at the end: the result is written
        sys.exit(0)
    sys.exit(run_all(args.results))


if __name__ == "__main__":
    main()
