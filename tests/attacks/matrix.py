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
import shutil
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


# --- root's powers over the machine (09-caps) -----------------------------------
# Chapter 07's user namespace already stops several of these (a capability
# in it is worth nothing against the machine's clock or kernel). To show
# what the capabilities do on their own, the rows below are played from 07
# on with `--userns host`: the container's root is the host's root then,
# and only what chapter 09 drops stands in the way.

def host_userns(chapter):
    """The options that leave 07's user namespace out, where there is one."""
    return ["--userns", "host"] if h.number(chapter) >= 7 else []


ALONE = "; from 07 on played with `--userns host`, so that only the capabilities stop it"


class KernelLacks(str):
    """A reason a cell cannot run: the machine's kernel lacks the attack's target
    altogether (built without modules, /proc/kcore, /proc/sysrq-trigger). There
    is nothing to attack on this machine and nothing to defend: the cell is
    listed as n/a and not counted, rather than a skip that would make the
    whole column "skipped" on such a kernel. A kernel that has the target
    plays it."""


def kernel_lacks(path, config):
    """Why a kernel target cannot be played here: this kernel has no such file."""
    if os.path.exists(path):
        return None
    return KernelLacks(f"this kernel has no {path} ({config} is off): nothing to attack here")


def kernel_lacks_modules(chapter):
    return kernel_lacks("/proc/modules", "CONFIG_MODULES")


@attack("mount a filesystem", blocked_by="09-caps",
        tries="mount(2) a tmpfs",
        needs="CAP_SYS_ADMIN (in the user namespace owning the mount namespace)" + ALONE,
        proof="a tmpfs mounted on a scratch dir in /tmp of a rootfs copy, unmounted at once")
def mount_a_filesystem(chapter):
    with h.rootfs_copy() as rootfs:
        return ask(chapter, "mount-tmpfs", options=host_userns(chapter),
                   rootfs=rootfs)["result"] == "success"


@attack("load a kernel module", blocked_by="09-caps",
        tries="init_module(2), which runs code in the kernel",
        needs="CAP_SYS_MODULE; a kernel with modules" + ALONE,
        proof="init_module(2) of 64 bytes of garbage, never a module: EPERM means stopped, "
              "ENOEXEC or EINVAL that the call reached the loader",
        cannot_run=kernel_lacks_modules)
def load_kernel_module(chapter):
    return ask(chapter, "init-module", options=host_userns(chapter))["result"] == "success"


@attack("set the clock", blocked_by="09-caps",
        tries="clock_settime(2): the clock is the machine's, no namespace has its own",
        needs="CAP_SYS_TIME" + ALONE,
        proof="the clock set to the time it already shows (a jump back of microseconds)")
def set_the_clock(chapter):
    return ask(chapter, "set-clock", options=host_userns(chapter))["result"] == "success"


@attack("read kernel memory", blocked_by="09-caps",
        tries="read /proc/kcore, the kernel's memory as a core file",
        needs="CAP_SYS_RAWIO; a kernel with /proc/kcore" + ALONE,
        proof="one byte read, the first of its ELF header",
        cannot_run=lambda chapter: kernel_lacks("/proc/kcore", "CONFIG_PROC_KCORE"))
def read_kcore(chapter):
    return ask(chapter, "kcore", options=host_userns(chapter))["result"] == "success"


@attack("setuid-root program", blocked_by="09-caps",
        tries="as a user, become root again through a setuid-root program",
        needs="a setuid-root program (a copy of the probe, mode 4755, in a rootfs copy), on "
              "a filesystem without nosuid" + ALONE,
        proof="the probe, as nobody (65534), runs the copy: its effective uid is 0")
def setuid_root_program(chapter):
    with h.rootfs_copy() as rootfs:
        copy = rootfs / "bin" / "probe-suid"
        shutil.copy(os.path.realpath(rootfs / "bin" / "probe"), copy)
        os.chown(copy, 0, 0)
        os.chmod(copy, 0o4755)
        return ask(chapter, "setuid-root", "/bin/probe-suid", options=host_userns(chapter),
                   rootfs=rootfs)["result"] == "success"


@attack("sysrq trigger", blocked_by="11-full",
        tries="open /proc/sysrq-trigger for writing: one letter there reboots the machine",
        needs="the file's owner, root (mode 0200): no capability at all, so Docker's 14 do "
              "not stop it; 07's user namespace does (its root is not the file's owner), and "
              "11 makes it read-only; a kernel with it" + ALONE,
        proof="the file opened for writing and closed, never a byte written",
        cannot_run=lambda chapter: kernel_lacks("/proc/sysrq-trigger", "CONFIG_MAGIC_SYSRQ"))
def open_sysrq_trigger(chapter):
    return ask(chapter, "sysrq-trigger", options=host_userns(chapter))["result"] == "success"


# --- 08: the limits, and the cgroup tree ---------------------------------------------

def limits(chapter, *options):
    """A chapter's options for a row: the limit from 08 on (08 has no default)."""
    return list(options) if h.number(chapter) >= 8 else []


def v1_hierarchies():
    """Whether the host mounts cgroup v1 hierarchies (release_agent is theirs)."""
    return any(line.split()[1] != "0" for line in open("/proc/cgroups")
               if not line.startswith("#") and line.split()[3] == "1")


def v1_only(chapter):
    if not v1_hierarchies():
        return ("this host has cgroup v2 only: the probe never mounts cgroup2 (in the host's "
                "cgroup namespace that re-applies its options to the whole hierarchy), and "
                "release_agent is cgroup v1's")
    return None


@attack("fork bomb", blocked_by="08-cgroup",
        tries="fork until the host's process table is full",
        needs="nothing: fork(2); from 08 on the container runs with --pids-limit 32",
        proof="the probe keeps 64 processes running at once, more than the limit allows "
              "(bounded at 64, and every chapter runs in a cgroup of the test's own that "
              "allows 256: a real bomb never stops)")
def fork_bomb(chapter):
    with h.cgroup_fence() as fence:
        answer = ask(chapter, "fork-bomb", "64", options=limits(chapter, "--pids-limit", "32"),
                     cgroup=fence)
        return answer.get("forked") == "64"


@attack("memory hog", blocked_by="08-cgroup",
        tries="allocate memory until the host's OOM killer picks a victim anywhere",
        needs="nothing: mmap(2); from 08 on the container runs with --memory 64M",
        proof="a child of the probe touches every page of 128M and lives (the test's cgroup "
              "allows 512M); from 08 on the kernel's OOM killer ends it in the container")
def memory_hog(chapter):
    with h.cgroup_fence() as fence:
        answer = ask(chapter, "memory-hog", "128M", options=limits(chapter, "--memory", "64M"),
                     cgroup=fence)
        return answer.get("touched") == "128M"


def cgroup_escape(chapter, options):
    with h.cgroup_fence() as fence:
        answer = ask(chapter, "cgroup-escape", options=options, cgroup=fence)
        return answer.get("result") == "success"


ESCAPE = dict(
    tries="leave one's cgroup (and its limits): one's own pid into the root's cgroup.procs",
    proof="a child of the probe, started in a cgroup of the test's own, mounts the v1 pids "
          "hierarchy (or, refused, as `unshare -UrmC` does) and writes its pid into the "
          "cgroup.procs of the mount's root; /proc/self/cgroup shows it moved (it exits at "
          "once). With a cgroup namespace the root it sees is its own cgroup",
    cannot_run=v1_only)


@attack("escape to the host cgroup tree", blocked_by="07-user",
        needs="root in the host's user namespace: mounting the host's hierarchy needs "
              "CAP_SYS_ADMIN over its cgroup namespace", **ESCAPE)
def escape_cgroup(chapter):
    return cgroup_escape(chapter, [])


@attack("escape to the host cgroup tree, --userns host", blocked_by="08-cgroup",
        needs="root; from 07 on played with --userns host, so that 08's cgroup namespace "
              "is shown to stop it on its own", **ESCAPE)
def escape_cgroup_host_userns(chapter):
    return cgroup_escape(chapter, host_userns(chapter))


def release_agent(chapter, options):
    with h.cgroup_fence() as fence:
        return ask(chapter, "release-agent", options=options,
                   cgroup=fence).get("result") == "success"


RELEASE_AGENT = dict(
    tries="set a v1 hierarchy's release_agent: a program the kernel runs "
          "as the host's root",
    proof="mounts a v1 hierarchy (or, refused, in a user and cgroup namespace of its own, "
          "as `unshare -UrmC` does) and opens its release_agent for writing: NEVER written, "
          "closed at once. The file exists only in the hierarchy's root, which a cgroup "
          "namespace hides",
    cannot_run=v1_only)


@attack("release_agent (CVE-2022-0492)", blocked_by="07-user",
        needs="a v1 hierarchy; root over the host's cgroup namespace, or a user namespace "
              "mapping the host's root", **RELEASE_AGENT)
def release_agent_open(chapter):
    return release_agent(chapter, [])


@attack("release_agent, --userns host", blocked_by="08-cgroup",
        needs="a v1 hierarchy; root; from 07 on played with --userns host, so that 08's "
              "cgroup namespace is shown to stop it on its own", **RELEASE_AGENT)
def release_agent_host_userns(chapter):
    return release_agent(chapter, host_userns(chapter))


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


@attack("overwrite the runtime (CVE-2019-5736)", blocked_by="05-pid",
        tries="open the runtime's binary for writing through /proc/PID/exe of its process, "
              "to write it once it has ended: the next container started runs the attacker's "
              "code as host root",
        needs="root (the binary's owner); the runtime's process in sight: the probe's parent, "
              "the runtime itself before 05, and from 05 the init, the runtime's fork that "
              "never execs (as `runc init` was)",
        proof="/proc/PPID/exe opened with O_PATH, then reopened for writing and closed, NEVER "
              "written: success if it opens, or if it is busy (ETXTBSY: permission granted, "
              "only the running program holds the write off) and the attacker can outlive "
              "that process. From 05 the process is the container's PID 1, whose end kills "
              "every process of the namespace, the attacker's too, so the write can never come "
              "(ETXTBSY as long as the attacker lives); from 07 /proc/1/exe does not even "
              "open (EACCES), unless --userns host. The probe's own /proc/self/exe is the "
              "rootfs's binary: the rows \"write into the rootfs\" cover it")
def overwrite_runtime(chapter):
    return ask(chapter, "runtime-exe")["result"] == "success"


# --- 11: the kernel's files in /proc, and the runtime's own binary ------------------
# A container's /proc is the kernel's: its namespaces change what some files
# show, never what the files in /proc/sys do, nor what /proc/interrupts or
# /proc/keys tell. Chapter 11 masks some (/dev/null over them) and makes the
# others read-only. The rows whose target root owns are played with
# `--userns host` from 07 on (07's user namespace stops them already: its
# root is not the files' owner), so that 11's rows are shown to hold alone.

@attack("core_pattern", blocked_by="11-full",
        tries="open /proc/sys/kernel/core_pattern for writing: a program named there after "
              "a pipe sign is run by the kernel as the host's root at the next crash",
        needs="the file's owner, root (mode 0644): no capability, so neither 09 nor 10 stops "
              "it; 11's read-only /proc/sys does (EROFS). 07's user namespace stops it too "
              "(EACCES: its root is not the owner), so from 07 on it is played with "
              "`--userns host`",
        proof="the file opened for writing and closed, NEVER a byte written (core(5), "
              "\"Piping core dumps to a program\": the program runs in the initial "
              "namespaces, outside every container)")
def open_core_pattern(chapter):
    return ask(chapter, "core-pattern", options=host_userns(chapter))["result"] == "success"


@attack("host interrupt counters", blocked_by="11-full",
        tries="read /proc/interrupts: every interrupt of the machine (keyboard, disks, "
              "network), counted per CPU",
        needs="nothing: the file is readable by all (0444) and no namespace has its own",
        proof="the probe reads the kernel's table (a line naming CPU0); from 11 /dev/null is "
              "bound over it. Sampled fast, its counters time the host's keystrokes and "
              "traffic (Diao et al., \"No Pardon for the Interruption\", IEEE S&P 2016); "
              "Docker masks it")
def read_host_interrupts(chapter):
    return ask(chapter, "interrupts")["result"] == "success"


@attack("host keys in /proc/keys", blocked_by="11-full",
        tries="list the host root's keys by name in /proc/keys: a read, where 10's filter "
              "guards only keyctl(2)",
        needs="the same uid as the key's owner, in the same user namespace (--userns host "
              "from 07 on, as for the row host keyring); no capability, no system call a "
              "filter refuses",
        proof="finds the description of a key the test adds to root's user keyring (and "
              "invalidates afterwards); from 11 /dev/null is bound over /proc/keys "
              "(keyrings(7); runc and Docker mask it)")
def list_host_keys(chapter):
    with host_key("host-keys-secret") as description:
        answer = ask(chapter, "proc-keys", description, options=own_user_namespace_off(chapter))
        return answer.get("found") == description


@attack("the machine's clock in /proc/timer_list", blocked_by="11-full",
        tries="read /proc/timer_list: every CPU's pending timers and the kernel functions "
              "they call, and the machine's own monotonic clock, which 11's time namespace "
              "(--time-offset) does not shift",
        needs="the file's owner, root (mode 0400); 07's user namespace stops it (EACCES), so "
              "from 07 on it is played with `--userns host`",
        proof="the probe reads its `now at N nsecs` line (with --time-offset "
              "monotonic=86400 the container's /proc/uptime is a day ahead, this line is "
              "not); from 11 /dev/null is bound over it (runc and Docker mask it)")
def read_timer_list(chapter):
    return ask(chapter, "timer-list", options=own_user_namespace_off(chapter))["result"] == \
        "success"


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
without_userns("create a device node for a real disk and read it", "11-full",
               "as for create a device node; without a user namespace the container's root "
               "has CAP_MKNOD (Docker's 14 keep it, so 09 does not take it), no device cgroup "
               "refuses the node (08 sets none) and 10's profile allows mknod: from 11 "
               "Landlock does "
               "(mknod(2) EACCES: its rules allow no device node anywhere, landlock(7))")
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
        "The rows of root's powers (09-caps) are played with `--userns host` from 07 on, so",
        "that they show what the capabilities stop on their own; a row whose target a kernel",
        "lacks (modules, /proc/kcore, /proc/sysrq-trigger) is not played on it, and says so.",
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
        absent = {c: a.cannot_run(c) for c in (chapters or h.CHAPTERS)}
        absent = {c: why for c, why in absent.items() if isinstance(why, KernelLacks)}
        if absent:
            print(h._colour("33", "  n/a  ") + f"{', '.join(absent)}: attack '{a.name}': "
                  f"{next(iter(absent.values()))}")

        def play(chapter, a=a):
            reason = a.cannot_run(chapter)
            if reason:
                raise h.Skipped(f"attack '{a.name}' cannot run here: {reason}")
            _said.clear()
            outcome, wanted = "success" if a.play(chapter) else "blocked", a.expected(chapter)
            h.expect(outcome == wanted, f"attack '{a.name}': expected {wanted}, saw {outcome}"
                     + (f"; the probe said: {'; '.join(_said)}" if _said else ""))
        played = [c for c in (chapters or h.CHAPTERS) if c not in absent]
        h.check(f"attack '{a.name}' has the expected outcome", played)(play)


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
