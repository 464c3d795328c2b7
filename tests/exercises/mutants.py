#!/usr/bin/env python3
"""mutants.py: proves that each exercise's checker tells right from wrong.

    mutants.py --build-dir DIR [NN-name ...]      (ctest exercise.mutants)

A mutant is a plausible wrong solution: the body of an exercise region, as a
learner who half-understood the lesson would write it. It lives in
tests/exercises/mutants/NN-name/NAME.cpp; its first line is a comment saying
which misunderstanding it stands for, the rest replaces what is between
`// EXERCISE` and `// END EXERCISE` in the solution (so a mutant survives
changes to the code around the region). For each exercise that has checks
(tests/exercises/checks/NN-name.py), this runs exercises/check on:

  - the untouched stub, which must fail every check;
  - the solution in common/, which must pass every check;
  - every mutant, each of which must compile and fail at least one check;

and then requires that every check catches at least one mutant: a check no
wrong solution needs does not belong in the checker.

The variants of an exercise share one build folder, so each one recompiles
only the swapped file (and relinks one chapter). Two workers, each with a
folder of its own, prove two exercises at a time: one's compiler runs while
the other's checks wait on containers.
"""
import argparse
import fcntl
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
CHECK = TOP / "exercises" / "check"


def load_generate():
    loader = importlib.machinery.SourceFileLoader("generate", str(TOP / "exercises" / "generate"))
    spec = importlib.util.spec_from_loader("generate", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


generate = load_generate()


class Mutant:
    def __init__(self, path):
        lines = path.read_text().splitlines()
        if not lines or not lines[0].startswith("// "):
            sys.exit(f"{path}: the first line must be a comment naming the misunderstanding")
        self.name, self.why, self.body = path.stem, lines[0][3:].strip(), lines[1:]


def splice(solution, exercise, body):
    """The solution's text with the region of `exercise` holding `body` instead."""
    out, inside, indent = [], False, ""
    for line in solution.splitlines(keepends=True):
        start = generate.START.match(line)
        if start and start.group(2) == exercise:
            inside, indent, in_notes = True, start.group(1), True
            out.append(line)
        elif inside and generate.END.match(line):
            out += [indent + b + "\n" if b.strip() else "\n" for b in body]
            out.append(line)
            inside = False
        elif inside and in_notes and (generate.NOTE.match(line) or generate.MORE.match(line)):
            out.append(line)
        elif inside:
            in_notes = False
        else:
            out.append(line)
    return "".join(out)


def check(chapter, file, build, results):
    """Runs exercises/check on `file`; returns (status, output, per-check results)."""
    results.unlink(missing_ok=True)
    command = [sys.executable, str(CHECK), chapter, "--file", str(file), "--build-dir", str(build),
               "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True)
    outcome = json.loads(results.read_text()) if results.exists() else None
    return done.returncode, done.stdout + done.stderr, outcome


def rootfs_tree(build):
    """The rootfs's paths with their type and size, to see that a variant
    left it as it was (a later variant must not start from a dirty one)."""
    rootfs, found = build / "rootfs", set()
    for root, dirs, files in os.walk(rootfs):
        for name in dirs + files:
            st = os.lstat(os.path.join(root, name))
            found.add((os.path.relpath(os.path.join(root, name), rootfs), st.st_mode, st.st_size))
        dirs[:] = [d for d in dirs if not os.path.ismount(os.path.join(root, d))]
    return found


def rebuild_rootfs(build):
    """Makes the next check's build step build the rootfs anew."""
    (build / "rootfs" / ".unshared-rootfs").unlink(missing_ok=True)


def indented(text):
    return "".join("      | " + line + "\n" for line in text.rstrip().splitlines())


PRISTINE = {}  # build folder -> its rootfs tree as built


def prove(exercise, build, scratch, say):
    """Runs every variant of one exercise in `build`; `say` prints a line of
    the report. Returns the list of problems found."""
    chapter, file = exercise.name, exercise.source.name
    checks = generate.checks_of(chapter)
    mutants = [Mutant(p) for p in generate.mutants_of(chapter)]
    solution = exercise.source.read_text()
    variants = [("the untouched stub", None, exercise.skeleton),
                ("the solution", None, solution)]
    variants += [(m.name, m, splice(solution, chapter, m.body)) for m in mutants]
    problems, caught_by, alone = [], {c: [] for c in checks}, {c: [] for c in checks}
    began = time.monotonic()
    for label, mutant, text in variants:
        path = scratch / chapter / label.replace(" ", "-") / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        started = time.monotonic()
        status, output, outcome = check(chapter, path, build, scratch / f"{chapter}.json")
        took = f"{time.monotonic() - started:4.0f} s"
        if PRISTINE.get(build) is None:
            PRISTINE[build] = rootfs_tree(build)
        elif rootfs_tree(build) != PRISTINE[build]:
            say(f"  (with {label} the rootfs changed: it is built anew for the next variant)")
            rebuild_rootfs(build)
        if outcome is None:
            problems.append(f"{chapter}: {label} did not build or run (exit status {status})")
            say(f"  ERROR  {label} ({took}): did not build or run\n{indented(output)}")
            continue
        failed = [r["check"] for r in outcome if not r["passed"]]
        crashed = [r["check"] for r in outcome if r.get("crashed")]
        if crashed:
            problems.append(f"{chapter}: with {label}, a check crashed: {'; '.join(crashed)}")
        if mutant is not None:
            for c in failed:
                caught_by.setdefault(c, []).append(mutant.name)
            if len(failed) == 1:
                alone.setdefault(failed[0], []).append(mutant.name)
        if label == "the untouched stub":
            ok, verdict = len(failed) == len(outcome), f"fails {len(failed)} of {len(outcome)}"
        elif label == "the solution":
            ok, verdict = not failed, f"passes {len(outcome) - len(failed)} of {len(outcome)}"
        else:
            ok = bool(failed)
            verdict = ("caught by: " + "; ".join(failed)) if failed else "passes every check"
        say(f"  {'ok    ' if ok else 'WRONG '} {label} ({took}): {verdict}")
        if mutant is not None:
            say(f"           ({mutant.why})")
        if not ok:
            problems.append(f"{chapter}: {label} {verdict}")
        if not ok or crashed:
            say(indented(output))
    for c, names in caught_by.items():
        if not names:
            problems.append(f"{chapter}: the check '{c}' catches no mutant: which wrong "
                            "solution needs it?")
            say(f"  WRONG  the check '{c}' catches no mutant")
        else:  # for maintainers: which mutants would pass without this check
            only = ", ".join(alone.get(c, [])) or "none (each is caught by another check too)"
            say(f"  check '{c}': catches {len(names)}; alone: {only}")
    say(f"  ({len(variants)} variants in {time.monotonic() - began:.0f} s, in {build})")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", type=Path, required=True,
                        help="where the workers build, each in a folder of its own")
    parser.add_argument("--jobs", type=int, default=2,
                        help="exercises proved at the same time (default 2: the builds of one "
                             "overlap the checks of another, which mostly wait)")
    parser.add_argument("exercises", nargs="*")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("SKIP: the checks create namespaces and mounts: run them as root")
        sys.exit(77)
    wanted = [e for e in generate.exercises() if generate.checks_of(e.name)
              and (not args.exercises or e.name in args.exercises)]
    # The longest first, so that the workers end at about the same time.
    queue = sorted(wanted, key=lambda e: -len(generate.mutants_of(e.name)))
    top = args.build_dir.absolute()
    top.mkdir(parents=True, exist_ok=True)
    # One run at a time per build folder (each variant's check takes its
    # worker folder's own lock, .lock, for itself).
    lock = open(top / ".mutants-lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    started, problems, printing = time.monotonic(), [], threading.Lock()

    def worker(number, scratch):
        build = top / f"worker-{number}"
        build.mkdir(exist_ok=True)
        rebuild_rootfs(build)  # start from a rootfs no earlier run wrote into
        while True:
            with printing:
                if not queue:
                    return
                exercise = queue.pop(0)
            lines = []
            found = prove(exercise, build, scratch, lines.append)
            with printing:  # one exercise's report in one piece
                print(f"{exercise.name}: {len(generate.checks_of(exercise.name))} checks, "
                      f"{len(generate.mutants_of(exercise.name))} mutants")
                print("\n".join(lines), flush=True)
                problems.extend(found)

    with tempfile.TemporaryDirectory(prefix="unshared-mutants.") as scratch:
        threads = [threading.Thread(target=worker, args=(n, Path(scratch)))
                   for n in range(1, max(1, args.jobs) + 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"\n{len(wanted)} exercises in {time.monotonic() - started:.0f} s "
          f"({max(1, args.jobs)} at a time)")
    for p in problems:
        print("  " + p)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
