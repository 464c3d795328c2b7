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
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
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
# Options every ask() adds: --userns host in the rows "..., no user namespace".
_extra_options = []


def ask(chapter, *question, **kw):
    """Plays `probe attack QUESTION...` in the chapter; returns its key=value answers.
    A probe that gives no verdict is a broken attack, never a "blocked" one."""
    if _extra_options:
        kw["options"] = [*kw.get("options", ()), *_extra_options]
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
        needs="CAP_DAC_READ_SEARCH in the initial user namespace (from 07 the container's "
              "root has it only in its own: EPERM); a rootfs on a host filesystem that gives "
              "file handles",
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


@attack("write into the rootfs", blocked_by="07-user",
        tries="create a file in /etc that the host sees in the rootfs",
        needs="root, or the rootfs's owner; a rootfs mounted writable (a copy here). From 07 "
              "the container's root is an unprivileged uid on the host, and the rootfs "
              "belongs to host root: EACCES",
        proof="the file appears in the rootfs copy the chapter ran on")
def write_into_rootfs(chapter):
    with h.rootfs_copy() as rootfs:
        ask(chapter, "write-rootfs", "/etc/written-from-inside", "pwned", rootfs=rootfs)
        written = rootfs / "etc" / "written-from-inside"
        return written.is_file() and content(written) == "pwned"


@contextmanager
def volume(chapter, shared, read_only=False):
    """`shared` seen at /mnt in the container: -v from 02 on. 01-chroot has
    no -v, so there the test makes the same bind mount by hand, on /mnt of a
    rootfs copy (in the lab, which a chroot shares). Yields the keyword
    arguments of the play's run."""
    if h.number(chapter) >= 2:
        yield {"options": ["-v", f"{shared}:/mnt" + (":ro" if read_only else "")]}
        return
    with h.rootfs_copy() as rootfs:
        target = str(rootfs / "mnt")
        subprocess.run(["mount", "--bind", str(shared), target], check=True)
        try:
            if read_only:
                subprocess.run(["mount", "-o", "remount,bind,ro", target], check=True)
            yield {"rootfs": rootfs}
        finally:
            subprocess.run(["umount", "--lazy", target], check=True)


@attack("modify a root-owned host file through a volume", blocked_by="07-user",
        tries="overwrite a file of host root's in a directory shared with -v",
        needs="a volume (-v from 02; in 01 the test bind-mounts it into a rootfs copy); a "
              "file there that belongs to host root, mode 0644",
        proof="the test makes a root-owned 0644 file in the directory it shares; its content, "
              "read on the host, becomes `pwned`. From 07 the container's root is another uid "
              "on the host, for whom 0644 means read only: EACCES")
def modify_host_file_through_volume(chapter):
    with h.lab_tmpfs() as lab:
        os.chmod(lab, 0o755)
        shared = lab / "shared"
        shared.mkdir(mode=0o755)
        victim = shared / "owned-by-root"
        victim.write_text("host root's own\n")
        os.chmod(victim, 0o644)
        with volume(chapter, shared) as how:
            ask(chapter, "overwrite", "/mnt/owned-by-root", "pwned", **how)
        return content(victim) == "pwned"


@contextmanager
def loop_device_with(marker):
    """A loop device over a file holding `marker`: a "disk" of the host that
    belongs to nobody but the test. Yields (major, minor); detaches it."""
    with h.lab_tmpfs() as lab:
        image = lab / "disk.img"
        image.write_bytes(marker.encode() + b"\n" + bytes(4096 - len(marker) - 1))
        made = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True,
                              text=True)
        if made.returncode != 0:
            raise h.Skipped(f"no loop device: losetup says {made.stderr.strip()}")
        device = made.stdout.strip()
        try:
            st = os.stat(device)
            yield os.major(st.st_rdev), os.minor(st.st_rdev)
        finally:
            subprocess.run(["losetup", "--detach", device], check=True)


def no_loop_device(chapter):
    if not Path("/dev/loop-control").exists() or shutil.which("losetup") is None:
        return "no /dev/loop-control or no losetup here, so no disk the test may hand over"
    return None


@attack("create a device node for a real disk and read it", blocked_by="07-user",
        tries="mknod(2) a block device with a host disk's major:minor and read it",
        needs="CAP_MKNOD in the initial user namespace (from 07: EPERM); a filesystem without "
              "nodev; a device cgroup that lets it (none before 08)",
        proof="the test makes a loop device over a file holding a marker (never a real disk); "
              "the probe makes a node with its numbers in a rootfs copy and reads the marker",
        cannot_run=no_loop_device)
def read_disk_through_device_node(chapter):
    marker = "unshared-loop-disk-marker"
    with loop_device_with(marker) as (major, minor), h.rootfs_copy() as rootfs:
        answer = ask(chapter, "mknod-read", str(major), str(minor), rootfs=rootfs)
        return answer.get("read") == marker


@attack("remount a read-only volume writable", blocked_by="09-caps",
        tries="mount -o remount,bind,rw a volume given with -v ...:ro, then write into it",
        needs="CAP_SYS_ADMIN over the mount namespace: root before 07, and from 07 the "
              "container's root in its own, because the runtime makes the read-only bind "
              "mount inside the container's namespaces, so the kernel does not lock it",
        proof="the probe remounts the volume read-write and creates a file in it (and removes "
              "it). Root could always do it before 07; from 07 the kernel would refuse it only "
              "for a read-only flag it locked, which it sets when a mount namespace is copied "
              "into a less privileged user namespace, not on a mount made in that namespace. "
              "From 09 the container's root has no CAP_SYS_ADMIN: EPERM")
def remount_volume_rw(chapter):
    with h.lab_tmpfs() as lab:
        os.chmod(lab, 0o755)
        shared = lab / "shared"
        shared.mkdir()
        os.chmod(shared, 0o777)  # the container's root may be any uid on the host
        with volume(chapter, shared, read_only=True) as how:
            answer = ask(chapter, "remount-rw", "/mnt", **how)
        return answer.get("result") == "success" and os.listdir(shared) == []


# --- defence in depth: the same attacks with --userns host ---------------------------

def without_userns(name, blocked_by, why):
    """Declares the row "NAME, no user namespace": the attack NAME played with
    --userns host from 07 on, to show which later chapter stops it on its own."""
    base = next(a for a in ATTACKS if a.name == name)

    def play(chapter):
        _extra_options[:] = ["--userns", "host"] if h.number(chapter) >= 7 else []
        try:
            return base.play(chapter)
        finally:
            _extra_options.clear()
    ATTACKS.append(Attack(f"{name}, no user namespace", base.tries + " (with --userns host "
                          "from 07)", base.needs, why, blocked_by, play, base.cannot_run))


without_userns("shocker", "09-caps",
               "as for shocker; without a user namespace the container's root is host root, "
               "and only 09's capability bounding set takes CAP_DAC_READ_SEARCH away")
without_userns("write into the rootfs", "11-full",
               "as for write into the rootfs; without a user namespace the container's root "
               "is the rootfs's owner, and only a read-only root (11) keeps it out")


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
