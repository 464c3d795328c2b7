#!/usr/bin/env python3
"""The chassis every chapter stands on: what the container inherits, and
how the runtime behaves when the rootfs, the caller or the terminal are
hostile or unlucky. Each check here is the regression test of a defect
that an attacker or an unlucky user could hit (see the lessons)."""
import ctypes
import os
import pty
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM_02 = h.chapters_from("02-mnt")
SECRET = "host-secret-fd-42"


# --- 1. mount targets that are symlinks -----------------------------------

# (the rootfs path to replace, where its symlink points, what the attacker wants)
SYMLINK_TARGETS = [
    ("dev", "/", "an absolute link to the host's /"),
    ("dev", "../../decoy", "a relative link climbing out with .."),
    ("proc", "../decoy", "a relative link to a decoy next to the rootfs"),
    ("tmp", "/", "/tmp onto the host's /"),
    ("sys", "/decoy-abs", "an absolute link to a path that exists on the host only"),
]


@h.check("a rootfs whose mount targets are symlinks is refused (exit 2, one line), "
         "and nothing outside it is mounted on or changed", FROM_02)
def symlinked_mount_targets(chapter):
    with h.lab_tmpfs() as lab:
        rootfs = lab / "nest" / "rootfs"
        shutil.copytree(h.ROOTFS, rootfs, symlinks=True)
        for decoy in (lab / "decoy", lab / "nest" / "decoy"):
            decoy.mkdir(exist_ok=True)
            (decoy / "keep").write_text("decoy\n")
        for name, target, what in SYMLINK_TARGETS:
            path = rootfs / name
            saved = lab / f"saved-{name}"
            path.rename(saved)
            os.symlink(target, path)
            before = (h.tree_state(lab / "decoy"), h.tree_state(lab / "nest" / "decoy"),
                      h.host_mounts())
            try:
                result = h.run(chapter, "true", rootfs=rootfs)
            finally:
                path.unlink()
                saved.rename(path)
            after = (h.tree_state(lab / "decoy"), h.tree_state(lab / "nest" / "decoy"),
                     h.host_mounts())
            lines = result.stderr.strip().splitlines()
            h.expect(result.returncode == 2 and len(lines) == 1 and "symlink" in lines[0]
                     and f"/{name}" in lines[0],
                     f"/{name} -> {target} ({what}): exit {result.returncode}, "
                     f"message {result.stderr.strip()!r}; expected exit 2 and one line "
                     f"saying /{name} is a symlink")
            h.expect(before == after, f"/{name} -> {target}: something outside the rootfs changed")


@h.check("a mount target that is a regular file: exit 2, one line saying so", FROM_02)
def mount_target_is_a_file(chapter):
    with h.lab_tmpfs() as lab:
        rootfs = lab / "rootfs"
        shutil.copytree(h.ROOTFS, rootfs, symlinks=True)
        (rootfs / "tmp").rmdir()
        (rootfs / "tmp").write_text("")
        result = h.run(chapter, "true", rootfs=rootfs)
        lines = result.stderr.strip().splitlines()
        h.expect(result.returncode == 2 and len(lines) == 1 and "/tmp is a regular file" in lines[0],
                 f"exit {result.returncode}, message {result.stderr.strip()!r}")


# --- 2. what the container inherits ---------------------------------------

@h.check("a file descriptor the caller left open does not reach the container")
def inherited_fd(chapter):
    with h.lab_tmpfs() as lab:
        secret = lab / "secret"
        secret.write_text(SECRET + "\n")
        fd = os.open(secret, os.O_RDONLY)  # inheritable: as `exec 7<file` in a shell
        try:
            os.set_inheritable(fd, True)
            paths = [f"/proc/self/fd/{fd}"] + (
                [f"/proc/1/fd/{fd}"] if h.number(chapter) >= 5 else [])
            script = "; ".join(f"cat {p}" for p in paths) + f"; cat <&{fd}"
            argv = [str(h.BIN / chapter), "--rootfs", str(h.ROOTFS), "--", "sh", "-c", script]
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                    stdin=subprocess.DEVNULL, pass_fds=(fd,))
        finally:
            os.close(fd)
        h.expect(SECRET not in result.stdout,
                 f"the container read the host file through inherited fd {fd}")


@h.check("the container starts with a clean environment, plus -e")
def clean_environment(chapter):
    env = dict(os.environ, UNSHARED_TEST_SECRET="s3cr3t", FROM_CALLER="yes")
    argv = [str(h.BIN / chapter), "--rootfs", str(h.ROOTFS), "-e", "GREETING=hello",
            "-e", "FROM_CALLER", "--", "env"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL, env=env)
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    h.expect("UNSHARED_TEST_SECRET" not in seen, "the caller's environment reached the container")
    h.expect_equal(seen.get("container"), "unshared", "container=")
    h.expect_equal(seen.get("GREETING"), "hello", "-e GREETING=hello")
    h.expect_equal(seen.get("FROM_CALLER"), "yes", "-e FROM_CALLER (our value)")
    h.expect(seen.get("PATH", "").startswith("/usr/local/sbin"), f"PATH: {seen.get('PATH')!r}")
    if h.number(chapter) >= 3:
        h.expect("HOSTNAME" in seen, "no HOSTNAME in the container's environment")
    # One value per -e, as docker run's: without `--`, `env` is the command.
    bare = subprocess.run([str(h.BIN / chapter), "--rootfs", str(h.ROOTFS), "-e", "ONE=1", "env"],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    h.expect("ONE=1" in bare.stdout.splitlines(),
             f"-e ONE=1 env (no --) did not run env: {bare.stdout.strip()!r}")


# --- 3. a SIGKILLed runtime leaves no container ---------------------------

PR_SET_CHILD_SUBREAPER = 36
KILLS = 300


@h.check(f"{KILLS} runtimes SIGKILLed at random moments of the set-up leave no survivor")
def no_survivor_after_random_kills(chapter):
    libc = ctypes.CDLL(None, use_errno=True)
    # Orphans come to us instead of the machine's init, so we can see them.
    h.expect(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "prctl(PR_SET_CHILD_SUBREAPER)")
    rng = random.Random(int(os.environ.get("UNSHARED_SEED", "6")))
    survivors = 0
    try:
        for _ in range(KILLS):
            runtime = subprocess.Popen(
                [str(h.BIN / chapter), "--rootfs", str(h.ROOTFS), "--", "sleep", "1000"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, 0.004))
            runtime.kill()
            runtime.wait()
            survivors += reap_orphans(deadline=time.monotonic() + 10)
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    h.expect_equal(survivors, 0, "containers still running after their runtime was SIGKILLed")


def reap_orphans(deadline):
    """Waits for the orphans re-parented to us; kills and counts those still
    alive at the deadline (a survivor: the container outlived its runtime)."""
    survivors = 0
    while True:
        children = h.descendants_of(os.getpid())
        if not children:
            return survivors
        if time.monotonic() > deadline:
            for p in children:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            survivors += len(children)
            deadline = float("inf")
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.005)


# --- 4. the caller's terminal ----------------------------------------------

def run_on_terminal(chapter, *command, options=()):
    """Runs the chapter with a terminal the test made as stdin, stdout and
    stderr. Returns (exit status, what the container wrote, what is left in
    the terminal's input queue afterwards, whether its settings came back)."""
    master, slave = pty.openpty()
    settings = termios.tcgetattr(slave)
    argv = [str(h.BIN / chapter), *options, "--rootfs", str(h.ROOTFS), "--", *command]
    runtime = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                               start_new_session=True)
    output = b""
    while runtime.poll() is None or readable(master):
        if readable(master, 0.05):
            try:
                output += os.read(master, 4096)
            except OSError:
                break
    status = runtime.wait(timeout=30)
    restored = termios.tcgetattr(slave) == settings
    # What the caller's shell would read next: bytes pushed into the input
    # queue of the terminal. Read them from the slave, as a shell would.
    os.set_blocking(slave, False)
    termios.tcsetattr(slave, termios.TCSANOW, settings)
    try:
        typed = os.read(slave, 4096)
    except BlockingIOError:
        typed = b""
    os.close(master)
    os.close(slave)
    return status, output.decode(errors="replace"), typed.decode(errors="replace"), restored


def readable(fd, timeout=0):
    import select
    return bool(select.select([fd], [], [], timeout)[0])


@h.check("a container cannot push keystrokes into the caller's terminal (TIOCSTI)")
def tiocsti_blocked(chapter):
    status, output, typed, _ = run_on_terminal(chapter, "/bin/probe", "tiocsti", "echo INJECTED")
    h.expect("INJECTED" not in typed,
             f"the container typed {typed.strip()!r} into the caller's terminal ({output.strip()})")


@h.check("on a terminal, the container gets a terminal of its own, and ours is restored")
def own_terminal(chapter):
    # 01 has no /proc, where tty(1) finds its terminal's name: stty only.
    script = "stty size && tty" if h.number(chapter) >= 2 else "stty size"
    status, output, _, restored = run_on_terminal(chapter, "sh", "-c", script)
    h.expect_equal(status, 0, f"exit status (output {output.strip()!r})")
    if h.number(chapter) >= 2:
        h.expect("/dev/pts/0" in output or "/dev/console" in output,
                 f"`tty` inside printed {output.strip()!r}, not the container's own terminal")
    h.expect(restored, "the caller's terminal settings were not restored")


@h.check("without a terminal on fds 0-2, the container has no controlling terminal, even "
         "when the runtime has one (its own session)", FROM_02)
def no_controlling_terminal(chapter):
    master, slave = pty.openpty()
    slave_path = os.ttyname(slave)

    def take_terminal():  # as a login shell has one: session leader, pty as ctty
        os.setsid()
        os.close(os.open(slave_path, os.O_RDWR))

    # Field 7 of /proc/self/stat is the controlling terminal (0: none);
    # opening /dev/tty fails with ENXIO without one.
    script = "cut -d' ' -f7 /proc/self/stat; : </dev/tty && echo has-tty"
    argv = [str(h.BIN / chapter), "--rootfs", str(h.ROOTFS), "--", "sh", "-c", script]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL, preexec_fn=take_terminal)
    finally:
        os.close(master)
        os.close(slave)
    lines = result.stdout.split()
    h.expect(lines[:1] == ["0"] and "has-tty" not in lines,
             f"the container has a controlling terminal: /proc/self/stat tty_nr "
             f"{lines[:1]}, /dev/tty {'opens' if 'has-tty' in lines else 'does not open'}")


# --- 5. robust edges ---------------------------------------------------------

def expect_one_line(result, status, words):
    lines = result.stderr.strip().splitlines()
    h.expect(result.returncode == status and len(lines) == 1 and words in lines[0],
             f"exit {result.returncode}, stderr {result.stderr.strip()!r}; expected exit "
             f"{status} and one line with {words!r}")


@h.check("--rootfs '' and --rootfs= are bad input (exit 2), not a crash or a swallowed argument")
def empty_rootfs(chapter):
    for options in (["--rootfs", ""], ["--rootfs="]):
        argv = [str(h.BIN / chapter), *options, "--", "true"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        expect_one_line(result, 2, "--rootfs")


@h.check("a relative --rootfs after the working directory was deleted: exit 2")
def relative_rootfs_without_cwd(chapter):
    gone = tempfile.mkdtemp()
    argv = [str(h.BIN / chapter), "--rootfs", "rootfs", "--", "true"]
    result = subprocess.run(["sh", "-c", f'cd {gone} && rmdir {gone} && exec "$@"', "sh", *argv],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    expect_one_line(result, 2, "--rootfs")


@h.check("a value holding a newline or non-UTF-8 bytes still gives a one-line message")
def hostile_values(chapter):
    option = ["--hostname", "web\nevil\xff"] if h.number(chapter) >= 3 else ["--rootfs",
                                                                             "/no\nsuch\xff"]
    result = subprocess.run([str(h.BIN / chapter), *option, "--", "true"], capture_output=True,
                            timeout=30, stdin=subprocess.DEVNULL)
    lines = result.stderr.strip().splitlines()
    h.expect(result.returncode == 2 and len(lines) == 1,
             f"exit {result.returncode}, stderr {result.stderr!r}")


@h.check("closed, full or broken stdout/stderr never crash the runtime")
def broken_outputs(chapter):
    me = f"{h.BIN / chapter} --rootfs {h.ROOTFS}"
    cases = [  # (shell line, expected exit status)
        (f"{me} -- true 2>&-", 0),
        (f"{me} --explain -- true 2>&-", 0),
        (f"{me} --explain -- true 2>/dev/full", 0),
        (f"{me} --rootfs /nonexistent -- true 2>&-", 2),
        (f"{me} --help >/dev/full", 0),
        (f"{me} -- sh -c 'exit 3' 2>/dev/full", 3),
    ]
    for line, status in cases:
        result = subprocess.run(["sh", "-c", line], capture_output=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        h.expect_equal(result.returncode, status, f"exit status of `{line}`")
    piped = subprocess.run(["sh", "-c", f"{me} --help | head -c1 >/dev/null; echo $?"],
                           capture_output=True, text=True, timeout=30)
    h.expect(piped.returncode == 0, f"--help | head -c1: {piped.stderr.strip()}")


def full_pipe():
    """A pipe whose buffer is already full: a write to it blocks."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    return read_end, write_end


@h.check("a full stderr does not hold up the SIGKILL after the stop grace time",
         h.chapters_from("05-pid"))
def full_stderr_during_grace(chapter):
    # One clean run first: it undoes what the SIGKILLed runtimes of the checks
    # before left, whose messages would otherwise queue on the full pipe.
    h.run_ok(chapter, "true")
    read_end, write_end = full_pipe()
    try:
        runtime = subprocess.Popen(
            [str(h.BIN / chapter), "--no-init", "--rootfs", str(h.ROOTFS), "--", "sleep", "1000"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=write_end)
        # The start is not what this check times: a loaded CI machine may be slow.
        h.wait_for_descendant(runtime.pid, "sleep", timeout=60)
        runtime.send_signal(signal.SIGTERM)  # PID 1 ignores it: the grace time runs out
        try:
            status = runtime.wait(timeout=15)
        except subprocess.TimeoutExpired:
            runtime.kill()
            runtime.wait()
            raise h.Failed("the runtime hung writing its message to the full stderr: "
                           "no SIGKILL was sent")
        h.expect_equal(status, 137, "exit status")
    finally:
        os.close(read_end)
        os.close(write_end)


@h.check("SIGTERM during a slow set-up ends the run at once: the command never starts")
def sigterm_during_setup(chapter):
    # --explain into a full pipe: every step waits for room that never comes,
    # so the set-up is as slow as a stuck disk would make it.
    read_end, write_end = full_pipe()
    try:
        runtime = subprocess.Popen(
            [str(h.BIN / chapter), "--explain", "--rootfs", str(h.ROOTFS), "--", "echo", "RAN"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=write_end)
        time.sleep(0.1)
        runtime.send_signal(signal.SIGTERM)
        try:
            out, _ = runtime.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            runtime.kill()
            runtime.communicate()
            raise h.Failed("SIGTERM during the set-up did not end the run")
        h.expect_equal(runtime.returncode, 128 + signal.SIGTERM, "exit status")
        h.expect(b"RAN" not in out, "the command ran after the runtime was told to stop")
    finally:
        os.close(read_end)
        os.close(write_end)


if __name__ == "__main__":
    h.main()
