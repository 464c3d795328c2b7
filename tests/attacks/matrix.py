#!/usr/bin/env python3
"""The attack matrix: every attack, played in every chapter.

Each chapter exists because of an attack it stops. An attack must SUCCEED
against the chapters before its defence, which proves the attack is real,
and FAIL from its defence on, which proves the defence holds. Success is
judged from "the host" (the test lab) where it can be: the host's hostname
changed, the sentinel process died, the secret the test wrote was read.

Each attack is a record (Attack): what it tries, what it needs, how it is
proven without harm, the chapter that stops it (maybe one not built yet:
then every chapter expects it to succeed), and, where a cell cannot run on
this machine, why (reported as a skip, never silently). Its play function
plays it in one chapter and says whether it worked.

Attacks only target what they make for themselves (a file, a sleeping
process, a shared memory segment, a throwaway copy of the rootfs) and
clean up after themselves.

    matrix.py CHAPTER...        play the attacks in these chapters (ctest)
    matrix.py --doc             print docs/attack-matrix.md
    matrix.py --check-doc FILE  fail if FILE is not what --doc prints
"""
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Optional
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402


def runs_everywhere(chapter):
    return None


@dataclass(frozen=True)
class Attack:
    name: str                    # the row's title, short
    tries: str                   # what the attacker tries
    needs: str                   # root, a kernel feature, what the test makes for it
    proof: str                   # how its success is seen, harmlessly
    blocked_by: str              # the chapter whose mechanism stops it, built yet or not
    play: Callable[[str], bool]  # plays it in a chapter: True if it worked
    # Why a cell cannot run on this machine (a reason, reported as a skip), or None.
    cannot_run: Callable[[str], Optional[str]] = runs_everywhere

    def expected(self, chapter):
        """'success' before the chapter that stops it, 'blocked' from it on."""
        return "success" if h.number(chapter) < h.number(self.blocked_by) else "blocked"

    def stopped_by(self):
        """The blocking chapter, as the doc shows it."""
        built = self.blocked_by in h.ALL_CHAPTERS
        return self.blocked_by if built else f"not yet ({self.blocked_by})"


ATTACKS = []


def attack(name, *, tries, needs, proof, blocked_by, cannot_run=runs_everywhere):
    """Declares the function below as the play of an attack (a row of the matrix)."""
    last = h.number(h.ALL_CHAPTERS[-1])
    assert re.fullmatch(r"\d\d-[a-z]+", blocked_by), blocked_by
    assert blocked_by in h.ALL_CHAPTERS or h.number(blocked_by) > last, \
        f"{name}: no chapter {blocked_by}"

    def register(play):
        ATTACKS.append(Attack(name, tries, needs, proof, blocked_by, play, cannot_run))
        return play
    return register


# What the probe said in the attack being played, for the message when a cell is wrong.
_said = []


def ask(chapter, *question, **kw):
    """Plays `probe attack QUESTION...` in the chapter; returns its key=value answers.
    A probe that gives no verdict is a broken attack, never a "blocked" one."""
    answer = h.probe(chapter, "attack", *question, **kw)
    _said.append(" ".join(f"{k}={v}" for k, v in answer.items()))
    h.expect(answer.get("result") in ("success", "blocked"),
             f"probe attack {question[0]} gave no verdict: {answer}")
    return answer


def content(path):
    return path.read_text().strip()


# --- the attacks, one play each ------------------------------------------------

@attack("inherited fd", blocked_by="01-chroot",
        tries="read a host file through an fd the runtime let through",
        needs="a runtime that lets an fd of its caller through; nothing else",
        proof="reads a secret through an fd the test opened on it and passed to the chapter "
              "(the runc CVE-2024-21626 class)")
def read_through_inherited_fd(chapter):
    with h.host_secret() as secret, open(secret) as leaked:
        answer = ask(chapter, "inherited-fd", pass_fds=(leaked.fileno(),))
        return answer.get("read") == content(secret)


@attack("chroot escape", blocked_by="02-mnt",
        tries="read a host file by walking `..` out of a nested chroot",
        needs="root (CAP_SYS_CHROOT); it makes a scratch dir in /tmp, so a rootfs copy",
        proof="reads a secret the test wrote outside the rootfs")
def chroot_escape(chapter):
    with h.rootfs_copy() as rootfs, h.host_secret() as secret:
        answer = ask(chapter, "chroot-escape", str(secret), rootfs=rootfs)
        return answer.get("read") == content(secret)


@attack("host hostname", blocked_by="03-uts",
        tries="rename the host with sethostname(2)",
        needs="root (CAP_SYS_ADMIN)",
        proof="the host's hostname, read outside, becomes `pwned`; the test puts it back")
def change_host_hostname(chapter):
    before = h.host_hostname()
    try:
        ask(chapter, "hostname", "pwned")
        return h.host_hostname() == "pwned"
    finally:
        subprocess.run(["hostname", before], check=True)


@attack("host shm read", blocked_by="04-ipc",
        tries="read a host System V shared memory segment",
        needs="a segment of the host (root passes its permissions)",
        proof="reads the text the test put in a segment it made (attached read-only)")
def read_host_shm(chapter):
    with h.host_shm_segment("host-shm-secret") as key:
        return ask(chapter, "shm-read", hex(key)).get("read") == "host-shm-secret"


@attack("signal host process", blocked_by="05-pid",
        tries="kill(2) a process of the host",
        needs="root (CAP_KILL); a host process",
        proof="the test's own `sleep` on the host dies")
def signal_host_process(chapter):
    with h.sentinel() as victim:
        ask(chapter, "kill", str(victim.pid))
        deadline = time.monotonic() + 2
        while victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return victim.poll() is not None


@attack("see host process", blocked_by="05-pid",
        tries="find a host process in /proc (mounting it if needed)",
        needs="a /proc (root can mount one); a host process",
        proof="finds the test's `sleep` by its pid")
def see_host_process(chapter):
    with h.sentinel() as victim:
        return ask(chapter, "see-proc", str(victim.pid)).get("comm") == "sleep"


@attack("join host namespace", blocked_by="05-pid",
        tries="join a host process's UTS namespace, as `nsenter --uts` does",
        needs="root (CAP_SYS_ADMIN); a host process in sight",
        proof="setns(2) through /proc/PID/ns/uts of the test's `sleep`; the hostname it reads "
              "there is the host's")
def join_host_namespace(chapter):
    with h.sentinel() as victim:
        return ask(chapter, "join-uts", str(victim.pid)).get("hostname") == h.host_hostname()


@attack("host root via /proc", blocked_by="05-pid",
        tries="read a host file via /proc/PID/root of a host process",
        needs="root (ptrace access to the process); a host process in sight",
        proof="reads a secret the test wrote outside the rootfs, through its `sleep`")
def read_through_proc_root(chapter):
    with h.sentinel() as victim, h.host_secret() as secret:
        answer = ask(chapter, "proc-root", str(victim.pid), str(secret))
        return answer.get("read") == content(secret)


@attack("join host mount namespace", blocked_by="05-pid",
        tries="join a host process's mount namespace, as `nsenter --mount` does",
        needs="root (CAP_SYS_ADMIN, CAP_SYS_CHROOT); a host process in sight",
        proof="setns(2) through /proc/PID/ns/mnt of the test's `sleep` (in a child of the "
              "probe), then reads a secret the test wrote outside the rootfs")
def join_host_mount_namespace(chapter):
    with h.sentinel() as victim, h.host_secret() as secret:
        answer = ask(chapter, "join-mnt", str(victim.pid), str(secret))
        return answer.get("read") == content(secret)


@attack("host loopback service", blocked_by="06-net",
        tries="reach a service the host binds to 127.0.0.1 only",
        needs="nothing: the host's loopback, shared with the host's network namespace",
        proof="reads the text a server the test runs on the lab's 127.0.0.1 sends; from 06 "
              "on, 127.0.0.1 is the container's own loopback, where nothing listens")
def reach_host_loopback(chapter):
    with h.host_service("host-loopback-secret") as port:
        return ask(chapter, "loopback", str(port)).get("read") == "host-loopback-secret"


@attack("host abstract socket", blocked_by="06-net",
        tries="connect to an abstract unix socket of the host",
        needs="nothing: abstract socket names belong to the network namespace, no file "
              "permission guards them",
        proof="reads the text a server the test binds to an abstract name in the lab sends "
              "(X11 and D-Bus listen on such names)")
def reach_host_abstract_socket(chapter):
    with h.host_service("host-abstract-secret", abstract=True) as name:
        return ask(chapter, "abstract", name).get("read") == "host-abstract-secret"


@attack("see host interfaces", blocked_by="06-net",
        tries="list the host's network interfaces",
        needs="nothing",
        proof="finds by name an interface the test adds to the lab (a veth end)")
def see_host_interfaces(chapter):
    with h.host_interface() as name:
        return ask(chapter, "see-link", name).get("result") == "success"


@attack("shocker", blocked_by="07-user",
        tries="open a host file by its handle: open_by_handle_at(2)",
        needs="CAP_DAC_READ_SEARCH; a rootfs on a host filesystem that gives file handles",
        proof="the 2014 escape from Docker guessed the handle; here the test hands over the "
              "handle of a secret it made beside a rootfs copy, on its filesystem, and the "
              "probe reads it",
        cannot_run=lambda chapter: h.no_file_handles(h.ROOTFS.parent))
def open_by_handle(chapter):
    with h.rootfs_copy() as rootfs:
        secret = rootfs.parent / "secret"  # outside the rootfs, removed with the copy
        secret.write_text("host-secret-beside-the-rootfs\n")
        kind, handle = h.file_handle(secret)
        answer = ask(chapter, "open-by-handle", str(kind), handle, rootfs=rootfs)
        return answer.get("read") == content(secret)


# --- chapter 10: calls no namespace and no capability stands in front of ---------
# Each needs no capability, so chapter 09 leaves it open; 10's filter is
# what stops it. Where an earlier chapter's user namespace would already
# stop it (the keyring), it is played with --userns host from 07 on, so the
# filter is shown to hold on its own. (The clock and open_by_handle_at are
# not among them: Docker's profile, and so 10's, lets those calls through
# exactly when the container holds CAP_SYS_TIME or CAP_DAC_READ_SEARCH, so
# there the filter never stands alone; rows "shocker" and 09's stop them.)

@contextmanager
def host_key(payload):
    """A "user" key holding `payload` in root's user keyring (keyrings(7)), as
    `keyctl add user NAME PAYLOAD @u` makes one; yields its description.
    Invalidated afterwards (keyctl(2) KEYCTL_INVALIDATE): the keyring is the
    machine's own, not the lab's, so nothing else is touched."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    SYS_add_key, SYS_keyctl = 248, 250  # x86-64
    KEY_SPEC_USER_KEYRING, KEYCTL_INVALIDATE = -4, 21
    description = f"unshared-matrix-{os.getpid()}"
    key = libc.syscall(SYS_add_key, b"user", description.encode(), payload.encode(),
                       len(payload), KEY_SPEC_USER_KEYRING)
    h.expect(key >= 0, f"add_key on the host failed: {os.strerror(ctypes.get_errno())}")
    try:
        yield description
    finally:
        libc.syscall(SYS_keyctl, KEYCTL_INVALIDATE, key)


def own_user_namespace_off(chapter):
    """--userns host from 07 on: root in the container is the host's root again."""
    return ["--userns", "host"] if h.number(chapter) >= 7 else []


@attack("nested user namespace", blocked_by="10-seccomp",
        tries="unshare(CLONE_NEWUSER) inside the container, then mount in a mount namespace "
              "of its own there",
        needs="nothing: any process may make a user namespace (unless a chroot: 01's walks "
              "out of it first)",
        proof="in a child of the probe, a user namespace with every capability in it, and a "
              "tmpfs mounted in a new mount namespace: the first step of many kernel exploits")
def nested_user_namespace(chapter):
    return ask(chapter, "nested-userns").get("result") == "success"


@attack("host keyring", blocked_by="10-seccomp",
        tries="read a key of the host's root from the kernel keyring (keyctl(2))",
        needs="the same uid as the key's owner, in the same user namespace (--userns host "
              "from 07 on: the keyring has no namespace of its own); no capability",
        proof="reads the payload of a key the test adds to root's user keyring (and "
              "invalidates afterwards)")
def read_host_keyring(chapter):
    with host_key("host-keyring-secret") as description:
        answer = ask(chapter, "keyring", description, options=own_user_namespace_off(chapter))
        return answer.get("read") == "host-keyring-secret"


@attack("userfaultfd", blocked_by="10-seccomp",
        tries="make a userfaultfd(2), the tool that lets an exploit pause the kernel mid-copy",
        needs="nothing (UFFD_USER_MODE_ONLY, Linux 5.11)",
        proof="the file descriptor is made, then closed at once")
def make_userfaultfd(chapter):
    return ask(chapter, "userfaultfd").get("result") == "success"


@attack("io_uring", blocked_by="10-seccomp",
        tries="set up an io_uring (io_uring_setup(2)), a second system-call interface a "
              "filter cannot see into",
        needs="nothing (kernel.io_uring_disabled 0, the default)",
        proof="the ring is made, then closed at once",
        cannot_run=lambda chapter: None if _io_uring_enabled() else
        "kernel.io_uring_disabled is set: no process may make a ring")
def make_io_uring(chapter):
    return ask(chapter, "io-uring").get("result") == "success"


def _io_uring_enabled():
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            return f.read().strip() == "0"
    except OSError:
        return True  # older than 6.6: no such switch


@attack("write into the rootfs", blocked_by="07-user",
        tries="create a file in /etc that the host sees in the rootfs",
        needs="root, or the rootfs's owner; a rootfs mounted writable (a copy here)",
        proof="the file appears in the rootfs copy the chapter ran on")
def write_into_rootfs(chapter):
    with h.rootfs_copy() as rootfs:
        ask(chapter, "write-rootfs", "/etc/written-from-inside", "pwned", rootfs=rootfs)
        written = rootfs / "etc" / "written-from-inside"
        return written.is_file() and content(written) == "pwned"


# --- the table ---------------------------------------------------------------------

def rows():
    """The attacks in the order of the chapters that stop them: a staircase."""
    return sorted(ATTACKS, key=lambda a: h.number(a.blocked_by))


def doc():
    chapters = h.ALL_CHAPTERS
    lines = [
        "# The attack matrix",
        "",
        "Generated by `tests/attacks/matrix.py --doc`; the `attack.*` tests check every cell.",
        "Each attack is played inside each chapter's container. **success** means the attack",
        "worked (seen from the host), **blocked** that the chapter's isolation stopped it.",
        "An attack must succeed before the chapter that stops it: that proves it is real.",
        "\"not yet (NN-name)\": the chapter that will stop it is still to be written.",
        "",
        "| attack | what it tries | " + " | ".join(chapters) + " | stopped by |",
        "|---|---|" + "---|" * len(chapters) + "---|",
    ]
    for a in rows():
        cells = [a.expected(c) for c in chapters]
        cells = [f"**{c}**" if c == "success" else c for c in cells]
        lines.append(f"| {a.name} | {a.tries} | " + " | ".join(cells) + f" | {a.stopped_by()} |")
    lines += [
        "",
        "## How each attack is proven, and what it needs",
        "",
        "Every attack targets only what the test made for it (a file, a `sleep`, a segment,",
        "a throwaway copy of the rootfs) and removes it afterwards, so success harms nothing.",
        "",
    ]
    lines += [f"- **{a.name}**: {a.proof}. Needs: {a.needs}." for a in rows()]
    return "\n".join(lines) + "\n"


def register(chapters):
    for a in rows():
        def play(chapter, a=a):
            reason = a.cannot_run(chapter)
            if reason:
                raise h.Skipped(f"attack '{a.name}' cannot run here: {reason}")
            _said.clear()
            outcome, wanted = "success" if a.play(chapter) else "blocked", a.expected(chapter)
            h.expect(outcome == wanted, f"attack '{a.name}': expected {wanted}, saw {outcome}"
                     + (f"; the probe said: {'; '.join(_said)}" if _said else ""))
        h.check(f"attack '{a.name}' has the expected outcome", chapters)(play)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--doc"]:
        sys.stdout.write(doc())
    elif sys.argv[1:2] == ["--check-doc"]:
        with open(sys.argv[2]) as f:
            if f.read() != doc():
                print(f"{sys.argv[2]} is out of date: run tests/attacks/matrix.py --doc > {sys.argv[2]}")
                sys.exit(1)
        print("1 passed, 0 failed")
    else:
        register([c for c in sys.argv[1:] if c in h.CHAPTERS] or None)
        h.main()
