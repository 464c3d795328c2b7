#!/usr/bin/env python3
"""The command line every chapter shares: bad input, exit statuses, --explain."""
import os
import signal
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

# What --explain must show in each chapter: the shell command of its new step.
EXPLAINED = {
    "01-chroot": "# shell: chroot ",
    "02-mnt": "# shell: pivot_root . .",
    "03-uts": "# shell: hostname web1",
    "04-ipc": "# shell: mount -t mqueue",
    "05-pid": "# shell: unshare --mount --uts --ipc --pid --fork",
    "06-net": "# shell: ip link add veth",
    "07-user": "/uid_map   # man: user_namespaces(7)",  # "# shell: echo ... > /proc/PID/uid_map"
    "08-cgroup": "# shell: unshare --cgroup",
    "09-caps": "# shell: capsh --drop=",
    "10-seccomp": "# shell: docker run --security-opt seccomp=profiles/default.json",
    "11-full": "# shell: mount -t overlay",
}


def expect_usage_error(result, words):
    lines = result.stderr.strip().splitlines()
    h.expect_equal(result.returncode, 2, "exit status")
    h.expect_equal(len(lines), 1, f"lines of error message ({result.stderr.strip()!r})")
    h.expect(words in lines[0], f"the message {lines[0]!r} does not say {words!r}")


@h.check("a missing --rootfs: one line, exit status 2")
def missing_rootfs(chapter):
    expect_usage_error(h.run(chapter, "true", rootfs="/nonexistent/rootfs"), "no such directory")


@h.check("a --rootfs that is a file: one line, exit status 2")
def rootfs_not_a_directory(chapter):
    with tempfile.NamedTemporaryFile() as f:
        expect_usage_error(h.run(chapter, "true", rootfs=f.name), "not a directory")


@h.check("a --rootfs without /bin/sh: one line, exit status 2")
def rootfs_without_shell(chapter):
    with tempfile.TemporaryDirectory() as d:
        expect_usage_error(h.run(chapter, "true", rootfs=d), "no /bin/sh")


@h.check("an unknown option: one line, exit status 2")
def unknown_option(chapter):
    expect_usage_error(h.run(chapter, "true", options=["--frobnicate"]), "--frobnicate")


@h.check("--help explains the options and exits 0")
def help_text(chapter):
    result = h.run(chapter, options=["--help"])
    h.expect_equal(result.returncode, 0, "exit status")
    h.expect("--rootfs" in result.stdout and "--explain" in result.stdout, "options missing")


@h.check("the command's exit status is passed through")
def exit_status(chapter):
    h.expect_equal(h.run(chapter, "sh", "-c", "exit 7").returncode, 7, "exit status")


@h.check("a command killed by signal N gives 128+N")
def signal_status(chapter):
    h.expect_equal(h.run(chapter, "sh", "-c", "kill -KILL $$").returncode, 137, "exit status")


@h.check("a command that does not exist: 127 and a message naming execvp")
def command_not_found(chapter):
    result = h.run(chapter, "/no/such/command")
    h.expect_equal(result.returncode, 127, "exit status")
    h.expect('execvp("/no/such/command")' in result.stderr, f"message: {result.stderr.strip()}")


@h.check("--explain narrates the chapter's new step with its shell equivalent")
def explain(chapter):
    result = h.run(chapter, "true", options=["--explain", *(
        ["--hostname", "web1"] if h.number(chapter) >= 3 else [])])
    h.expect_equal(result.returncode, 0, "exit status")
    h.expect(EXPLAINED[chapter] in result.stderr,
             f"--explain does not show {EXPLAINED[chapter]!r}")
    h.expect("# man: " in result.stderr, "--explain names no man page")


@h.check("SIGINT to the runtime stops the container")
def sigint_stops(chapter):
    runtime = h.start(chapter, "sleep", "1000")
    h.wait_for_descendant(runtime.pid, "sleep")
    runtime.send_signal(signal.SIGINT)
    h.expect_equal(runtime.wait(timeout=10), 128 + signal.SIGINT, "exit status")


if __name__ == "__main__":
    h.main()
